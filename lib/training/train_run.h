// swa-train's job: train a ResNet on CIFAR-10 along a learning-rate schedule and leave in RUN_DIR
//   snapshots/cycle-NNNN.h5   the weights at every SWA cycle end (the rate's low point)
//   best.h5                   the best validation accuracy so far
//   last.h5                   everything needed to resume (weights, SGD momentum, epoch, step),
//                             rewritten atomically after every epoch
//   log.jsonl                 one JSON object per epoch
// Randomness (initial weights, shuffling, augmentation) derives from the seed and the epoch, so
// a resumed run sees the same batches as an uninterrupted one.
// With several ranks (lib/distributed/ranks.h: torchrun, swa-launch, SLURM) the run is
// data-parallel: rank 0's weights are broadcast at the start (and after --resume); every global
// batch of --batch-size images (the same epoch order and augmentation draws as one process) is
// split into contiguous per-rank parts; gradients are summed over ranks in buckets while backward
// runs (lib/distributed/gradient_reducer.h), each rank's loss weighted by its share, so the step is
// the single-process step; --sync-bn takes BatchNorm statistics over the global batch (then the
// run equals a single-process one to float rounding), without it each rank's own part (as DDP) and
// rank 0's running statistics are the run's; validation is shared out by batch; only rank 0
// writes. --resume works with any number of ranks. On CUDA the model and the batches
// are channels_last, cuDNN picks its fastest kernels by timing them (so a resumed run matches an
// uninterrupted one to float tolerance there, not bit for bit), the data and the augmentation
// draws stay on the GPU, and the loop reads the loss back only every kLossCheckSteps steps.
#pragma once
#include <limits>
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
  std::string amp = "float32";  // float32 | bf16 | fp16 (autocast; fp16 with dynamic loss scaling)
  bool sync_bn = false;         // several ranks: BatchNorm statistics over the whole global batch
  bool progress = true;         // a progress bar per epoch on stderr
  bool epoch_lines = true;      // a line per epoch on stderr (loss, accuracy, rate)
  bool overwrite = false;       // a fresh run may replace another one in run_dir (run_folder.h)

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

// A run is diverging, and stops with InputError before it writes another snapshot, when a step's
// loss is not finite, when an epoch's (or a cycle's) mean training loss passes
// kDivergedTrainLossFactor x ln(classes) (chance level is ln(classes): 2.30 for CIFAR-10), when
// the validation loss is not finite, or when it passes kDivergedValLossFactor x ln(classes) while
// the training loss is not below chance level. (A high validation loss alone is no sign: after
// a few steps BatchNorm's running statistics are still far from the batches'.)
constexpr double kDivergedTrainLossFactor = 3.0;
constexpr double kDivergedValLossFactor = 10.0;

struct TrainSummary {
  std::string run_dir;
  int64_t snapshots_written = 0;                                   // by this invocation
  int64_t cycles = 0;                                              // completed in the whole run
  double best_val_acc = std::numeric_limits<double>::quiet_NaN();  // NaN: no validation split
  std::string stop = "completed";                                  // or why the run stopped early
  double seconds = 0;
};

// How many training images one epoch of `config` sees: the training split (the data's, or
// CIFAR-10's 50,000 minus the validation hold-out when no data folder is given), or
// --train-samples of them.
int64_t images_per_epoch(const TrainConfig& config);

// Throws InputError on bad settings before any work. With `resume`, continues RUN_DIR from the
// last completed epoch (its saved configuration wins over `config`, except the epoch count).
TrainSummary train(TrainConfig config, bool resume);

}  // namespace swa
