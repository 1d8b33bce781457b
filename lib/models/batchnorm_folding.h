// Folding an inference-mode BatchNorm into the convolution before it:
//   w' = w * gamma / sqrt(var + eps),  b' = beta + (b - mean) * gamma / sqrt(var + eps)
// computed in float64 and stored in the convolution's dtype. The convolution gains a bias.
#pragma once
#include <torch/torch.h>

namespace swa {

void fold_batchnorm_into_conv(torch::nn::Conv2dImpl& conv, const torch::nn::BatchNorm2dImpl& bn);

}  // namespace swa
