#include "lib/training/loss_scaler.h"

namespace swa {

bool LossScaler::unscale(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : params) {
    if (p.grad().defined()) grads.push_back(p.grad());
  }
  bool finite = true;
  if (!grads.empty()) {
    const auto opts = torch::TensorOptions().dtype(torch::kFloat).device(grads[0].device());
    auto found_inf = torch::zeros({1}, opts);
    if (grads[0].is_cuda()) {  // one fused kernel, as GradScaler uses
      at::_amp_foreach_non_finite_check_and_unscale_(grads, found_inf,
                                                     torch::full({1}, 1.0 / scale_, opts));
    } else {  // the same arithmetic, op by op (LibTorch 1.13 has no CPU kernel for it)
      for (auto& g : grads) {
        g.mul_(1.0 / scale_);
        found_inf.add_(g.isfinite().logical_not().any().to(torch::kFloat));
      }
    }
    finite = found_inf.item<float>() == 0.0f;  // the one wait per step fp16 costs
  }
  if (!finite) {
    scale_ /= 2;
    good_steps_ = 0;
  } else if (++good_steps_ == kGrowthInterval) {
    scale_ *= 2;
    good_steps_ = 0;
  }
  return finite;
}

}  // namespace swa
