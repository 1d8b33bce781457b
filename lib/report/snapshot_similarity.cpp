#include "lib/report/snapshot_similarity.h"

#include <cmath>

namespace swa {

torch::Tensor prediction_disagreement(const std::vector<torch::Tensor>& member_logits) {
  const int64_t n = static_cast<int64_t>(member_logits.size());
  std::vector<torch::Tensor> predicted;
  for (const auto& logits : member_logits) predicted.push_back(logits.argmax(1));
  torch::Tensor out = torch::zeros({n, n}, torch::kDouble);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i + 1; j < n; ++j) {
      const double share = predicted[i].ne(predicted[j]).to(torch::kDouble).mean().item<double>();
      out[i][j] = share;
      out[j][i] = share;
    }
  }
  return out;
}

torch::Tensor weight_distances(const SnapshotCollection& snapshots) {
  const int64_t n = static_cast<int64_t>(snapshots.size());
  torch::Tensor squared = torch::zeros({n, n}, torch::kDouble);
  const auto& layout = snapshots[0].state;
  for (size_t k = 0; k < layout.size(); ++k) {
    if (!is_trained_weight(layout[k].first, layout[k].second)) continue;
    for (int64_t i = 0; i < n; ++i) {
      const auto a = snapshots[static_cast<size_t>(i)].state[k].second.to(torch::kDouble);
      for (int64_t j = i + 1; j < n; ++j) {
        const double s = (a - snapshots[static_cast<size_t>(j)].state[k].second.to(torch::kDouble))
                             .square()
                             .sum()
                             .item<double>();
        squared[i][j] += s;
        squared[j][i] += s;
      }
    }
  }
  return squared.sqrt();
}

std::vector<double> weight_norms(const SnapshotCollection& snapshots) {
  std::vector<double> out;
  for (size_t i = 0; i < snapshots.size(); ++i) {
    double s = 0;
    for (const auto& [key, t] : snapshots[i].state) {
      if (is_trained_weight(key, t)) s += t.to(torch::kDouble).square().sum().item<double>();
    }
    out.push_back(std::sqrt(s));
  }
  return out;
}

}  // namespace swa
