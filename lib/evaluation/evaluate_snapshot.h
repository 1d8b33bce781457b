// swa-eval's job: a snapshot's quality on a CIFAR-10 split (metrics, throughput, warnings).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "lib/data/cifar10.h"
#include "lib/evaluation/predict.h"

namespace swa {

struct EvaluationRequest {
  std::string checkpoint, arch_override;
  CifarSource data;
  Split split = Split::kTest;
  PredictOptions predict;
};

// The report: checkpoint, arch, bn_state, split, metrics (classification_metrics.h),
// images_per_second, seconds, warnings. Throws InputError on unusable input.
nlohmann::json evaluate_snapshot(const EvaluationRequest& request);

}  // namespace swa
