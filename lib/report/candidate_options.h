// How a report's candidates are scored: batch size, device, the BatchNorm pass's augmentation.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <string>

#include "lib/batchnorm/recompute_batchnorm.h"
#include "lib/evaluation/predict.h"

namespace swa {

struct ScoringOptions {
  int64_t batch_size = 500;
  bool bn_augment =
      true;              // BatchNorm re-estimated on the images as training saw them (crop + flip)
  uint64_t bn_seed = 0;  // for that augmentation (swa-bn --seed)
  torch::Device device = torch::kCPU;
  bool progress = true;
  std::function<void(const std::string&)> log;  // told of every pass before it runs (may be empty)
};

// The options of one BatchNorm pass and one prediction pass of a candidate.
BatchNormPassOptions batchnorm_pass_options(const ScoringOptions& options);
PredictOptions predict_options(const ScoringOptions& options);

}  // namespace swa
