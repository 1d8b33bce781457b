#include "lib/distributed/sync_batchnorm.h"

namespace swa {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct CrossRankSum : public torch::autograd::Function<CrossRankSum> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, const Ranks* ranks,
                               const std::string& what) {
    ctx->saved_data["ranks"] = reinterpret_cast<int64_t>(ranks);
    ctx->saved_data["what"] = what;
    std::vector<torch::Tensor> sum{x.clone()};
    ranks->sum(sum, what);
    return sum.front();
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto* ranks = reinterpret_cast<const Ranks*>(ctx->saved_data["ranks"].toInt());
    std::vector<torch::Tensor> sum{grads.front().clone()};
    ranks->sum(sum, ctx->saved_data["what"].toStringRef() + " (backward)");
    return {sum.front(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor cross_rank_sum(const torch::Tensor& x, const Ranks& ranks, const std::string& what) {
  return CrossRankSum::apply(x, &ranks, what);
}

torch::Tensor sync_batchnorm_forward(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x,
                                     const Ranks& ranks) {
  TORCH_CHECK(x.dim() == 4, "sync BatchNorm expects [N, C, H, W]");
  const int64_t channels = x.size(1);
  const std::vector<int64_t> reduce{0, 2, 3};
  const std::vector<int64_t> shape{1, channels, 1, 1};
  // This rank's count, sum and sum of squares per channel, the squares as the squared deviations
  // from its own mean plus count x mean^2 (no float32 cancellation), then one sum over ranks in
  // float64, where the global variance E[x^2] - mean^2 is formed.
  const int64_t local_count = x.numel() / std::max<int64_t>(channels, 1);
  const torch::Tensor local_sum = x.sum(reduce, /*keepdim=*/false, torch::kFloat);
  const torch::Tensor local_mean =
      local_sum / static_cast<double>(std::max<int64_t>(local_count, 1));
  const torch::Tensor local_deviations =
      (x - local_mean.to(x.scalar_type()).view(shape)).pow(2).sum(reduce, false, torch::kFloat);
  const torch::Tensor local = torch::cat(
      {local_sum.to(torch::kDouble),
       local_deviations.to(torch::kDouble) +
           local_sum.to(torch::kDouble).pow(2) /
               static_cast<double>(std::max<int64_t>(local_count, 1)),
       torch::full({1}, static_cast<double>(local_count), x.options().dtype(torch::kDouble))});
  const torch::Tensor total = cross_rank_sum(local, ranks, "sync BatchNorm statistics");
  const double count = total[2 * channels].item<double>();
  TORCH_CHECK(count > 1, "sync BatchNorm needs more than one value per channel over all ranks");
  const torch::Tensor mean = total.slice(0, 0, channels) / count;
  const torch::Tensor variance =
      (total.slice(0, channels, 2 * channels) / count - mean.pow(2)).clamp_min(0);
  const torch::Tensor scale = torch::rsqrt(variance + bn.options.eps());
  torch::Tensor y =
      (x - mean.to(x.scalar_type()).view(shape)) * scale.to(x.scalar_type()).view(shape);
  if (bn.options.affine()) y = y * bn.weight.view(shape) + bn.bias.view(shape);

  if (bn.options.track_running_stats()) {
    torch::NoGradGuard no_grad;
    bn.num_batches_tracked.add_(1);
    const double factor = bn.options.momentum()
                              ? *bn.options.momentum()
                              : 1.0 / static_cast<double>(bn.num_batches_tracked.item<int64_t>());
    bn.running_mean.mul_(1 - factor).add_(mean.detach().to(bn.running_mean.dtype()), factor);
    bn.running_var.mul_(1 - factor)
        .add_((variance.detach() * (count / (count - 1))).to(bn.running_var.dtype()), factor);
  }
  return y;
}

}  // namespace swa
