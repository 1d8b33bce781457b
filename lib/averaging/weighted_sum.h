// The float64 accumulation at the heart of averaging.
#pragma once
#include <torch/torch.h>

namespace swa {

// acc += weight * x, with acc a contiguous float64 tensor and x any floating dtype of the same
// shape. float32 (nearly every checkpoint) runs as a plain vectorisable loop: LibTorch's
// mixed-dtype add_ goes through a slower casting path.
void add_weighted(torch::Tensor& acc, const torch::Tensor& x, double weight);

// True when every element is finite; no temporary tensors.
bool all_finite(const torch::Tensor& acc_f64);

}  // namespace swa
