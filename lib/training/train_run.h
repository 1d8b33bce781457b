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
#include "lib/training/train_config.h"

namespace swa {

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
