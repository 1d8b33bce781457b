// What a swa-train run carries across epochs and across --resume: the model's tensors and the SGD
// momentum buffers (last.h5), where the run stands (RunState, read back by resume_run), and the
// metadata of the snapshots it writes.
#pragma once
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>

#include "formats/snapshot.h"
#include "lib/models/resnet.h"
#include "lib/models/state_dict.h"
#include "lib/training/epoch_stats.h"
#include "lib/training/fit_monitor.h"
#include "lib/training/loss_scaler.h"
#include "lib/training/run_folder.h"
#include "lib/training/train_config.h"

namespace swa {

void set_learning_rate(torch::optim::SGD& opt, double lr);
// The model's state, plus the SGD momentum buffers when `with_optimizer`.
StateDict training_state(ResNet& model, torch::optim::SGD& opt, bool with_optimizer);
// training_state's tensors back into the model (on `device`) and the optimizer.
void restore_training_state(ResNet& model, torch::optim::SGD& opt, const StateDict& saved,
                            const std::string& path, torch::Device device);

// Where a run stands when train() starts: at the beginning, or where --resume picks it up.
struct RunState {
  bool resumed = false;  // false also for a run killed before its first epoch ended
  int64_t start_epoch = 0, step = 0, cycle = 0;
  double best_val = -1;
  double loss_scale = LossScaler::kInitialScale;  // --amp fp16's, where the run stands
  FitMonitor monitor;
  StateDict saved;  // weights, buffers and optimizer state from last.h5
};

// --resume: the run's saved configuration replaces `c` (resumed_config), and last.h5 says where
// it stands. A run killed before its first epoch ended has only config.json: it starts over.
RunState resume_run(TrainConfig& c, const RunFiles& files);

// Where training stands when a snapshot is taken.
struct TrainingPosition {
  int64_t epoch = 0, cycle = 0, step = 0;
  double lr = 0;
};

// A training snapshot's metadata: the position, the epoch's figures and the run's configuration.
SnapshotMeta snapshot_meta(const std::string& arch, int64_t seed, const nlohmann::json& run_config,
                           const TrainingPosition& at, const EpochStats& stats, const Validation& v,
                           const nlohmann::json& flags);
// last.h5's metadata: the epoch's, with the run's configuration and where it stands, which
// resume_run reads back.
SnapshotMeta resume_point_meta(SnapshotMeta meta, const nlohmann::json& run_config,
                               const TrainingPosition& at, double best_val,
                               const FitMonitor& monitor, double loss_scale);

}  // namespace swa
