#include "lib/distributed/sync_batchnorm.h"

namespace swa {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

const Ranks& ranks_of(AutogradContext* ctx) {
  return *reinterpret_cast<const Ranks*>(ctx->saved_data["ranks"].toInt());
}

// Normalisation with given (all-rank) statistics in forward, and in backward the input gradient
// of training-mode BatchNorm over all ranks: LibTorch's fused kernels for the per-rank parts, one
// sum over ranks of the two per-channel sums the input gradient needs:
//   dx = w * invstd * (dy - sum(dy) / N - xhat * sum(dy * xhat) / N)   (sums over every rank)
// The weight and bias gradients stay this rank's own sums (the gradient buckets add the ranks').
struct SyncBatchNormFunction : public torch::autograd::Function<SyncBatchNormFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight, const torch::Tensor& bias,
                               const torch::Tensor& mean, const torch::Tensor& variance, double eps,
                               double count, const Ranks* ranks) {
    ctx->save_for_backward({x, weight, mean, variance});
    ctx->saved_data["eps"] = eps;
    ctx->saved_data["count"] = count;
    ctx->saved_data["ranks"] = reinterpret_cast<int64_t>(ranks);
    return torch::batch_norm(x, weight, bias, mean, variance, /*training=*/false, 0.0, eps,
                             /*cudnn_enabled=*/true);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &weight = saved[1], &mean = saved[2], &variance = saved[3];
    const double eps = ctx->saved_data["eps"].toDouble();
    const double count = ctx->saved_data["count"].toDouble();
    const torch::Tensor dy = grads.front().contiguous(x.suggest_memory_format());
    // Eval-mode backward: dx = dy * w * invstd, dw = sum(dy * xhat), db = sum(dy), this rank's.
    auto [dx, dw, db] = torch::native_batch_norm_backward(dy, x, weight, mean, variance, {}, {},
                                                          /*train=*/false, eps, {true, true, true});
    std::vector<torch::Tensor> sums{torch::cat({db, dw}).to(torch::kDouble)};
    ranks_of(ctx).sum(sums, "sync BatchNorm gradients");
    const int64_t channels = x.size(1);
    const torch::Tensor sum_dy = sums[0].slice(0, 0, channels);
    const torch::Tensor sum_dy_xhat = sums[0].slice(0, channels, 2 * channels);
    const torch::Tensor invstd = torch::rsqrt(variance.to(torch::kDouble) + eps);
    const torch::Tensor w = weight.defined() ? weight.to(torch::kDouble) : torch::ones_like(invstd);
    // dx -= w * invstd / N * (sum_dy + xhat * sum_dy_xhat), xhat = (x - mean) * invstd:
    // dx += x * slope + offset, per channel.
    const torch::Tensor slope = -w * invstd.pow(2) * sum_dy_xhat / count;
    const torch::Tensor offset = -w * invstd * sum_dy / count - slope * mean.to(torch::kDouble);
    const std::vector<int64_t> shape{1, channels, 1, 1};
    dx.add_(torch::addcmul(offset.to(x.scalar_type()).view(shape), x,
                           slope.to(x.scalar_type()).view(shape)));
    return {dx,
            weight.defined() ? dw : torch::Tensor(),
            weight.defined() ? db : torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor(),
            torch::Tensor()};
  }
};

}  // namespace

torch::Tensor sync_batchnorm_forward(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x,
                                     const Ranks& ranks) {
  TORCH_CHECK(x.dim() == 4, "sync BatchNorm expects [N, C, H, W]");
  const int64_t channels = x.size(1);
  torch::Tensor mean, variance;
  double count = 0;
  {
    // This rank's count, sum and sum of squares per channel (the squares from its own biased
    // variance and mean: no float32 cancellation), summed over ranks in float64.
    torch::NoGradGuard no_grad;
    const int64_t local_count = x.numel() / std::max<int64_t>(channels, 1);
    auto [local_variance, local_mean] =
        torch::var_mean(x.to(torch::kFloat), {0, 2, 3}, /*unbiased=*/false);
    const torch::Tensor m = local_mean.to(torch::kDouble);
    const double n = static_cast<double>(local_count);
    std::vector<torch::Tensor> sums{
        torch::cat({m * n, (local_variance.to(torch::kDouble) + m.pow(2)) * n,
                    torch::full({1}, n, m.options())})};
    ranks.sum(sums, "sync BatchNorm statistics");
    count = sums[0][2 * channels].item<double>();
    TORCH_CHECK(count > 1, "sync BatchNorm needs more than one value per channel over all ranks");
    const torch::Tensor global_mean = sums[0].slice(0, 0, channels) / count;
    const torch::Tensor global_variance =
        (sums[0].slice(0, channels, 2 * channels) / count - global_mean.pow(2)).clamp_min(0);
    mean = global_mean.to(torch::kFloat);
    variance = global_variance.to(torch::kFloat);
    if (bn.options.track_running_stats()) {
      bn.num_batches_tracked.add_(1);
      const double factor = bn.options.momentum()
                                ? *bn.options.momentum()
                                : 1.0 / static_cast<double>(bn.num_batches_tracked.item<int64_t>());
      bn.running_mean.mul_(1 - factor).add_(global_mean.to(bn.running_mean.dtype()), factor);
      bn.running_var.mul_(1 - factor)
          .add_((global_variance * (count / (count - 1))).to(bn.running_var.dtype()), factor);
    }
  }
  const torch::Tensor weight = bn.options.affine() ? bn.weight : torch::Tensor();
  const torch::Tensor bias = bn.options.affine() ? bn.bias : torch::Tensor();
  return SyncBatchNormFunction::apply(x, weight, bias, mean.to(x.device()), variance.to(x.device()),
                                      bn.options.eps(), count, &ranks);
}

}  // namespace swa
