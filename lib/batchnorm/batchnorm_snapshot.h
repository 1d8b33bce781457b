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

struct BatchNormSummary {
  std::string input, output, arch, split, device;
  BatchNormPass pass;            // what the statistics pass saw, its layout and why, its time
  double images_per_second = 0;  // of the pass
  double total_seconds = 0;      // reading and writing included
};

// Throws InputError before writing anything when the input, the data or the output path is
// unusable.
BatchNormSummary recompute_snapshot_batchnorm(const BatchNormRequest& request);

}  // namespace swa
