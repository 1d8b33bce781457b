// fp16 loss scaling for swa-train --amp fp16, as torch.cuda.amp.GradScaler does with its defaults:
// the loss is multiplied by the scale (2^16 at first) before backward, so small fp16 gradients
// do not flush to zero; the gradients are divided by it again before the step. A step whose
// gradients hold inf or NaN is skipped and halves the scale; 2000 good steps in a row double it.
#pragma once
#include <torch/torch.h>

#include <vector>

namespace swa {

class LossScaler {
 public:
  static constexpr double kInitialScale = 65536.0;
  static constexpr int64_t kGrowthInterval = 2000;

  explicit LossScaler(double scale = kInitialScale) : scale_(scale) {}
  double scale() const { return scale_; }
  // Divides the parameters' gradients by the scale in place and updates the scale; true when
  // they are all finite and the optimizer may step.
  bool unscale(const std::vector<torch::Tensor>& params);

 private:
  double scale_;
  int64_t good_steps_ = 0;
};

}  // namespace swa
