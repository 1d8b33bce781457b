// Classification quality from logits and labels. Accuracies are percentages.
//   top1/top5   share of labels among the 1 (5) highest logits; top5 NaN below 5 classes
//   nll         mean negative log-likelihood (cross-entropy) in nats
//   ece         expected calibration error over 15 equal-width confidence bins (Guo et al. 2017):
//               sum over bins of |accuracy - mean confidence| * share of images, as a fraction
#pragma once
#include <torch/torch.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace swa {

constexpr int kCalibrationBins = 15;

struct ClassificationMetrics {
  int64_t images = 0;
  double top1 = 0, top5 = std::numeric_limits<double>::quiet_NaN(), nll = 0, ece = 0;
  std::vector<double> per_class_accuracy;       // percent, by true class
  std::vector<std::vector<int64_t>> confusion;  // [true][predicted]
};

ClassificationMetrics classification_metrics(const torch::Tensor& logits,
                                             const torch::Tensor& labels,
                                             int bins = kCalibrationBins);

nlohmann::json metrics_to_json(const ClassificationMetrics& m,
                               const std::vector<std::string>& class_names);

}  // namespace swa
