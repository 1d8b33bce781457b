// Training-mode BatchNorm over every rank's batch at once (torch.nn.SyncBatchNorm): the mean and
// the variance are those of all ranks' images together, and their gradients flow back to every
// rank (a sum over ranks whose backward is again a sum over ranks). The running statistics move
// as BatchNorm2d's do (momentum, or the cumulative average when it is None; the unbiased
// variance), so every rank keeps the same ones.
#pragma once
#include <torch/torch.h>

#include "lib/distributed/ranks.h"

namespace swa {

// Sums `x` over ranks; differentiable (the gradient is summed over ranks too).
torch::Tensor cross_rank_sum(const torch::Tensor& x, const Ranks& ranks, const std::string& what);

// bn's training-mode forward with statistics over all ranks: one sum over ranks per call (and one
// in backward) of each rank's count, sum and sum of squares (the squares formed around its own
// mean, so float32 loses nothing to cancellation; the combination is in float64).
torch::Tensor sync_batchnorm_forward(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x,
                                     const Ranks& ranks);

}  // namespace swa
