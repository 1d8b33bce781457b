#include "lib/report/output_covariance.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace swa {

OutputCovariance output_covariance(const std::vector<torch::Tensor>& member_logits,
                                   double top_percent) {
  TORCH_CHECK(!member_logits.empty(), "no outputs");
  TORCH_CHECK(top_percent > 0 && top_percent <= 100, "top percent must be in (0, 100]");
  const int n = static_cast<int>(member_logits.size());
  std::vector<torch::Tensor> rows;
  for (const auto& logits : member_logits)
    rows.push_back(torch::softmax(logits.to(torch::kDouble), 1).reshape({-1}));
  torch::Tensor x = torch::stack(rows);  // [N, D]
  const int64_t d = x.size(1);
  x = x - x.mean(1, true);
  OutputCovariance out;
  out.covariance = x.matmul(x.t()) / static_cast<double>(std::max<int64_t>(d - 1, 1));

  const auto [values, vectors] = at::linalg_eigh(out.covariance, "L");  // ascending
  std::vector<int> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::reverse(order.begin(), order.end());
  double total = 0;
  for (int k : order) {
    out.eigenvalues.push_back(std::max(0.0, values[k].item<double>()));
    total += out.eigenvalues.back();
  }
  const double mean = total / n;
  out.leading = 0;
  for (int k = 0; k < n; ++k) {
    out.explained.push_back(total > 0 ? out.eigenvalues[static_cast<size_t>(k)] / total : 0.0);
    if (out.eigenvalues[static_cast<size_t>(k)] > mean * (1 + 1e-9)) ++out.leading;
  }
  out.leading = std::max(out.leading, 1);

  double leading_total = 0;
  for (int k = 0; k < out.leading; ++k) leading_total += out.eigenvalues[static_cast<size_t>(k)];
  out.importance.assign(static_cast<size_t>(n), 1.0 / n);
  if (leading_total > 0) {
    for (int i = 0; i < n; ++i) {
      double share = 0;
      for (int k = 0; k < out.leading; ++k) {
        const double v = vectors[i][order[static_cast<size_t>(k)]].item<double>();
        share += out.eigenvalues[static_cast<size_t>(k)] * v * v;
      }
      out.importance[static_cast<size_t>(i)] = share / leading_total;
    }
  }

  std::vector<int> ranked(static_cast<size_t>(n));
  std::iota(ranked.begin(), ranked.end(), 0);
  std::stable_sort(ranked.begin(), ranked.end(), [&](int a, int b) {
    return out.importance[static_cast<size_t>(a)] > out.importance[static_cast<size_t>(b)] + 1e-12;
  });
  const int keep = std::max(1, static_cast<int>(std::ceil(n * top_percent / 100.0 - 1e-9)));
  out.top_subset.assign(ranked.begin(), ranked.begin() + keep);
  std::sort(out.top_subset.begin(), out.top_subset.end());
  return out;
}

}  // namespace swa
