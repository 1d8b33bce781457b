// BatchNorm statistics of a pass shared out over several ranks (lib/distributed/ranks.h): each
// rank's buffers hold the average over the batches it ran; the pass's average over all batches is
// their sum weighted by batch count, divided by the total. Every rank ends with it.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "lib/distributed/ranks.h"

namespace swa {

struct BatchNormBuffers {  // a layer's own buffers (aliases), updated in place
  torch::Tensor running_mean, running_var, num_batches_tracked;
};

void combine_rank_statistics(const std::vector<BatchNormBuffers>& layers, int64_t batches,
                             const Ranks& ranks);

}  // namespace swa
