// swa-bn's job: a snapshot in, the same weights with re-estimated BatchNorm statistics out
// (bn_state = recomputed; provenance records the images used).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "lib/batchnorm/recompute_batchnorm.h"
#include "lib/data/cifar10.h"

namespace swa {

struct BatchNormRequest {
  std::string input, output, arch_override;
  CifarSource data;
  Split split = Split::kTrain;
  int64_t samples = 0;  // 0: the whole split; else a fixed, seeded subset
  BatchNormPassOptions pass;
};

// Returns a summary (images, seconds, images/s, ...). Throws InputError before writing
// anything when the input, the data or the output path is unusable.
nlohmann::json recompute_snapshot_batchnorm(const BatchNormRequest& request);

}  // namespace swa
