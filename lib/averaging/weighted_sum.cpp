#include "lib/averaging/weighted_sum.h"

#include "lib/averaging/element_conversion.h"

namespace swa {

void add_weighted(torch::Tensor& acc, const torch::Tensor& x_in, double weight) {
  TORCH_CHECK(acc.scalar_type() == torch::kDouble && acc.is_contiguous(),
              "float64 accumulator expected");
  TORCH_CHECK(acc.sizes() == x_in.sizes(), "shape mismatch");
  if (x_in.scalar_type() != torch::kFloat || !x_in.is_cpu() || !acc.is_cpu()) {
    acc.add_(x_in.to(torch::kDouble), weight);
    return;
  }
  const torch::Tensor x = x_in.contiguous();
  add_weighted_elements(acc.data_ptr<double>(), x.data_ptr<float>(), ElementType::kFloat32,
                        acc.numel(), weight);
}

bool all_finite(const torch::Tensor& acc) {
  TORCH_CHECK(acc.scalar_type() == torch::kDouble && acc.is_contiguous(),
              "float64 tensor expected");
  return all_finite(acc.data_ptr<double>(), acc.numel());
}

}  // namespace swa
