// A training run's configuration: what swa-train's flags set, what config.json and every
// snapshot's config["run"] save, and what --resume restores.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "lib/data/cifar10.h"
#include "lib/training/lr_schedule.h"

namespace swa {

struct TrainConfig {
  std::string arch = "resnet50";
  CifarSource data;
  std::string run_dir;
  int64_t batch_size = 128;
  int64_t train_samples = 0;  // 0: the whole training split; else a seeded subset (smoke tests)
  std::string init;           // start from this snapshot's weights instead of a random init
  bool augment = true;  // random crop + flip; off: the batches as stored (step-equality tests)
  int64_t seed = 0;
  double momentum = 0.9;
  bool nesterov = false;
  double weight_decay = 5e-4;
  double label_smoothing = 0.0;
  ScheduleConfig schedule;  // epochs and rates; iterations_per_epoch is derived from the data
  int64_t early_stop_patience = 0;  // stop after N epochs of rising validation loss (0: never)
  int64_t eval_batch_size = 500;
  std::string device = "auto";
  std::string amp = "fp32";  // bf16 | fp16: autocast (fp16 with dynamic loss scaling)
  bool sync_bn = false;      // several ranks: BatchNorm statistics over the whole global batch
  bool progress = true;      // a progress bar per epoch on stderr
  bool epoch_lines = true;   // a line per epoch on stderr (loss, accuracy, rate)
  bool overwrite = false;    // a fresh run may replace another one in run_dir (run_folder.h)

  // config.json and every snapshot's config["run"]: the fields of for_each_train_field, with
  // the schedule's under "schedule".
  nlohmann::json to_json() const;
};

// Every setting of TrainConfig that a run saves and --resume restores, once, under its name in
// config.json (run_dir and progress belong to the command, not the run). visit(name, field).
template <typename Config, typename Visit>
void for_each_train_field(Config& c, Visit&& visit) {
  visit("arch", c.arch);
  visit("data", c.data.dir);
  visit("val_size", c.data.validation_size);
  visit("batch_size", c.batch_size);
  visit("train_samples", c.train_samples);
  visit("init", c.init);
  visit("augment", c.augment);
  visit("seed", c.seed);
  visit("momentum", c.momentum);
  visit("nesterov", c.nesterov);
  visit("weight_decay", c.weight_decay);
  visit("label_smoothing", c.label_smoothing);
  visit("early_stop_patience", c.early_stop_patience);
  visit("eval_batch_size", c.eval_batch_size);
  visit("device", c.device);
  visit("amp", c.amp);
  visit("sync_bn", c.sync_bn);
}

// The configuration saved as `j` (TrainConfig::to_json) by a run being resumed; settings it
// lacks keep their defaults. Throws InputError naming `path` for a setting of the wrong type.
TrainConfig config_from_json(const nlohmann::json& j, const std::string& path);

// What a resumed run runs: the configuration it saved (`saved`, read from `source`), with the
// command's run folder, what it prints, the command's epoch count when that is larger (to extend
// a finished run), and the command's device: where this process runs is no setting of the run
// (a rank of a multi-GPU resume takes its own cuda:LOCAL_RANK, not the one rank 0 saved).
TrainConfig resumed_config(const nlohmann::json& saved, const std::string& source,
                           const TrainConfig& command);

}  // namespace swa
