// Training-mode BatchNorm over every rank's batch at once (torch.nn.SyncBatchNorm): the mean and
// the variance are those of all ranks' images together, and the input gradient takes every
// rank's part of the sums through them. The running statistics move as BatchNorm2d's do
// (momentum, or the cumulative average when it is None; the unbiased variance), so every rank
// keeps the same ones.
#pragma once
#include <torch/torch.h>

#include "lib/distributed/ranks.h"

namespace swa {

// bn's training-mode forward with statistics over all ranks: one sum over ranks of each rank's
// count, sum and sum of squares (from its own mean and variance, combined in float64), LibTorch's
// fused normalisation with them, and in backward LibTorch's fused BatchNorm backward plus one sum
// over ranks of the two per-channel sums the input gradient needs.
torch::Tensor sync_batchnorm_forward(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x,
                                     const Ranks& ranks);

}  // namespace swa
