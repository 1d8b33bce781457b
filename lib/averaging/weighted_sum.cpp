#include "lib/averaging/weighted_sum.h"

#include <cmath>

namespace swa {

void add_weighted(torch::Tensor& acc, const torch::Tensor& x_in, double weight) {
  TORCH_CHECK(acc.scalar_type() == torch::kDouble && acc.is_contiguous(), "float64 accumulator expected");
  TORCH_CHECK(acc.sizes() == x_in.sizes(), "shape mismatch");
  if (x_in.scalar_type() != torch::kFloat || !x_in.is_cpu() || !acc.is_cpu()) {
    acc.add_(x_in.to(torch::kDouble), weight);
    return;
  }
  const torch::Tensor x = x_in.contiguous();
  double* a = acc.data_ptr<double>();
  const float* v = x.data_ptr<float>();
  const int64_t n = acc.numel();
  for (int64_t i = 0; i < n; ++i) a[i] += weight * static_cast<double>(v[i]);
}

bool all_finite(const torch::Tensor& acc) {
  TORCH_CHECK(acc.scalar_type() == torch::kDouble && acc.is_contiguous(), "float64 tensor expected");
  const double* a = acc.data_ptr<double>();
  const int64_t n = acc.numel();
  double probe = 0;
  for (int64_t i = 0; i < n; ++i) probe += a[i] * 0.0;  // NaN or Inf makes the sum NaN
  return !std::isnan(probe);
}

}  // namespace swa
