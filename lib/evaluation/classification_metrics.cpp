#include "lib/evaluation/classification_metrics.h"

#include <cmath>

namespace swa {

ClassificationMetrics classification_metrics(const torch::Tensor& logits_in,
                                             const torch::Tensor& labels_in, int bins) {
  TORCH_CHECK(
      logits_in.dim() == 2 && labels_in.dim() == 1 && logits_in.size(0) == labels_in.size(0),
      "logits [N, C] and labels [N] expected");
  const auto logits = logits_in.to(torch::kCPU, torch::kDouble);
  const auto labels = labels_in.to(torch::kCPU, torch::kLong);
  const int64_t n = labels.size(0), classes = logits.size(1);
  ClassificationMetrics m;
  m.images = n;
  if (n == 0) return m;
  const auto log_probs = torch::log_softmax(logits, 1);
  m.nll = -log_probs.gather(1, labels.view({n, 1})).mean().item<double>();
  const auto predicted = logits.argmax(1);
  const auto correct = predicted.eq(labels);
  m.top1 = 100.0 * correct.to(torch::kDouble).mean().item<double>();
  if (classes >= 5) {
    const auto top5 = std::get<1>(logits.topk(5, 1));
    m.top5 = 100.0 * top5.eq(labels.view({n, 1})).any(1).to(torch::kDouble).mean().item<double>();
  }

  const auto confidence = log_probs.exp().amax(1);
  for (int b = 0; b < bins; ++b) {
    const double lo = static_cast<double>(b) / bins, hi = static_cast<double>(b + 1) / bins;
    const auto in_bin = confidence.gt(lo).logical_and(confidence.le(hi));
    const int64_t count = in_bin.sum().item<int64_t>();
    if (count == 0) continue;
    const double acc = correct.masked_select(in_bin).to(torch::kDouble).mean().item<double>();
    const double conf = confidence.masked_select(in_bin).mean().item<double>();
    m.ece += std::abs(acc - conf) * static_cast<double>(count) / static_cast<double>(n);
  }

  m.confusion.assign(static_cast<size_t>(classes),
                     std::vector<int64_t>(static_cast<size_t>(classes), 0));
  const auto t = labels.accessor<int64_t, 1>();
  const auto p = predicted.accessor<int64_t, 1>();
  for (int64_t i = 0; i < n; ++i) {
    TORCH_CHECK(t[i] >= 0 && t[i] < classes, "label ", t[i], " outside 0..", classes - 1);
    ++m.confusion[static_cast<size_t>(t[i])][static_cast<size_t>(p[i])];
  }
  for (int64_t c = 0; c < classes; ++c) {
    int64_t total = 0;
    for (auto v : m.confusion[static_cast<size_t>(c)]) total += v;
    m.per_class_accuracy.push_back(
        total
            ? 100.0 *
                  static_cast<double>(m.confusion[static_cast<size_t>(c)][static_cast<size_t>(c)]) /
                  total
            : std::nan(""));
  }
  return m;
}

nlohmann::json metrics_to_json(const ClassificationMetrics& m,
                               const std::vector<std::string>& class_names) {
  nlohmann::json per_class = nlohmann::json::object();
  for (size_t c = 0; c < m.per_class_accuracy.size(); ++c) {
    const std::string name = c < class_names.size() ? class_names[c] : std::to_string(c);
    per_class[name] = std::isnan(m.per_class_accuracy[c]) ? nlohmann::json()
                                                          : nlohmann::json(m.per_class_accuracy[c]);
  }
  return {{"images", m.images},
          {"top1", m.top1},
          {"top5", std::isnan(m.top5) ? nlohmann::json() : nlohmann::json(m.top5)},
          {"nll", m.nll},
          {"ece", m.ece},
          {"per_class_accuracy", per_class},
          {"confusion", m.confusion},
          {"calibration_bins", kCalibrationBins}};
}

}  // namespace swa
