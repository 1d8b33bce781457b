// The figures of one epoch of swa-train: the training loss and accuracy as the steps go (summed
// where they are computed and read back every few steps on a GPU), the validation pass, the
// divergence rule of train_run.h, and the epoch's log line and printed line.
#pragma once
#include <torch/torch.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "lib/data/cifar10.h"
#include "lib/distributed/ranks.h"
#include "lib/models/resnet.h"
#include "lib/training/fit_monitor.h"
#include "lib/training/train_config.h"

namespace swa {

struct EpochStats {
  double loss_sum = 0;
  int64_t correct = 0, seen = 0;
  double loss() const { return seen ? loss_sum / static_cast<double>(seen) : NAN; }
  double accuracy() const {
    return seen ? 100.0 * static_cast<double>(correct) / static_cast<double>(seen) : NAN;
  }
};

struct Validation {
  double loss = NAN, accuracy = NAN;
};

// The loss and correct predictions of the steps since the last read, summed where they were
// computed: on a GPU, reading a number back waits for every queued kernel.
struct PendingSums {
  torch::Tensor loss_sum, correct;
  int64_t seen = 0, steps = 0;

  void add(const torch::Tensor& mean_loss, const torch::Tensor& logits, const torch::Tensor& y);
  // Adds the pending sums to `stats`; false when a loss since the last read was not finite.
  // With several ranks, the sums over all ranks, and `stop` becomes the largest signal number any
  // rank received (so all stop at the same step).
  bool flush_into(EpochStats& stats, const Ranks& ranks, int& stop);
};

// On a GPU the loop reads its loss back every this many steps (on the CPU, every step).
constexpr int64_t kLossCheckSteps = 50;

// The model's loss and top-1 on `val` in eval mode (train mode again after). With several ranks
// each takes its batches (Ranks::owns_batch) and all end with every figure.
Validation validate_epoch(ResNet& model, const ImageSet& val, const TrainConfig& c,
                          torch::Device device, const Ranks& ranks);

// Throws InputError when the epoch (or a cycle) is diverging by the rule of train_run.h.
void stop_if_diverging(const EpochStats& stats, const Validation& v, int64_t epoch);

// One line of log.jsonl: the epoch's training and validation figures (unknown ones null).
nlohmann::json epoch_log_line(int64_t epoch, int64_t step, double lr, const EpochStats& stats,
                              const Validation& v, const FitFlags& fit, double seconds);
// The line swa-train prints after an epoch.
void print_epoch_line(int64_t epoch, int64_t epochs, double lr, const EpochStats& stats,
                      const Validation& v, const FitFlags& fit);

}  // namespace swa
