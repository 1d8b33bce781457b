#include "lib/batchnorm/rank_statistics.h"

namespace swa {

void combine_rank_statistics(const std::vector<BatchNormBuffers>& layers, int64_t batches,
                             const Ranks& ranks) {
  std::vector<torch::Tensor> parts;
  for (const auto& bn : layers) {
    parts.push_back(bn.running_mean.flatten().to(torch::kDouble));
    parts.push_back(bn.running_var.flatten().to(torch::kDouble));
  }
  std::vector<torch::Tensor> shared{torch::cat(parts).mul_(batches),
                                    torch::tensor({batches}, torch::kLong)};
  ranks.sum(shared, "combining BatchNorm statistics");
  const int64_t total = shared[1].item<int64_t>();
  const torch::Tensor averaged = shared[0].div_(static_cast<double>(std::max<int64_t>(total, 1)));
  int64_t offset = 0;
  for (const auto& bn : layers) {
    for (const torch::Tensor* buffer : {&bn.running_mean, &bn.running_var}) {
      const int64_t count = buffer->numel();
      buffer->copy_(averaged.slice(0, offset, offset + count).view_as(*buffer));
      offset += count;
    }
    if (bn.num_batches_tracked.defined()) bn.num_batches_tracked.fill_(total);
  }
}

}  // namespace swa
