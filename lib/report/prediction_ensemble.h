// A prediction ensemble (as in Fast Geometric Ensembling, Garipov et al. 2018): the mean of the
// members' softmax outputs. Costs one forward pass per member at inference, against one for a
// weight average.
#pragma once
#include <torch/torch.h>

#include <vector>

namespace swa {

// log of the mean of softmax(logits_i): usable wherever logits are (its log_softmax is itself).
torch::Tensor ensemble_log_probabilities(const std::vector<torch::Tensor>& member_logits);

}  // namespace swa
