// The covariance of the snapshots' outputs and what its spectrum says about each snapshot.
//   Each snapshot is a variable whose observations are its softmax outputs on the validation
//   images (images x classes values). C = covariance matrix [N x N] of those variables.
//   Eigenvalues in decreasing order; the leading components are those whose eigenvalue exceeds
//   the mean eigenvalue (the Kaiser criterion; at least one).
//   Importance of snapshot i = sum over leading components k of lambda_k * v_k[i]^2, divided by
//   the leading eigenvalues' sum: the share of the leading variance it carries (shares sum to 1).
//   A snapshot whose outputs are unlike the others' (a broken one, or a diverged run) carries
//   little of the shared leading variance; near-copies share it equally.
//   The top subset: the ceil(top_percent% of N) snapshots of highest importance (at least one).
#pragma once
#include <torch/torch.h>

#include <vector>

namespace swa {

struct OutputCovariance {
  torch::Tensor covariance;         // float64 [N, N]
  std::vector<double> eigenvalues;  // decreasing, negatives from rounding clamped to 0
  std::vector<double> explained;    // eigenvalue / total (0 when the total is 0)
  int leading = 1;
  std::vector<double> importance;  // per snapshot, summing to 1
  std::vector<int> top_subset;     // sorted indices
};

OutputCovariance output_covariance(const std::vector<torch::Tensor>& member_logits,
                                   double top_percent);

}  // namespace swa
