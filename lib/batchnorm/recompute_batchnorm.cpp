#include "lib/batchnorm/recompute_batchnorm.h"

#include "lib/data/image_batches.h"
#include "lib/runtime/progress.h"

namespace swa {

int64_t recompute_batchnorm(ResNet& model, const ImageSet& data,
                            const BatchNormPassOptions& options) {
  TORCH_CHECK(options.batch_size > 0, "batch size must be positive");
  TORCH_CHECK(!model->folded(), "cannot re-estimate the statistics of a folded model");
  torch::NoGradGuard no_grad;
  model->to(options.device);
  if (options.channels_last) use_channels_last(*model);

  using Momentum = std::decay_t<decltype(std::declval<torch::nn::BatchNormOptions>().momentum())>;
  std::vector<std::pair<torch::nn::BatchNorm2dImpl*, Momentum>> momenta;
  for (auto& m : model->modules(/*include_self=*/false)) {
    if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
      bn->running_mean.zero_();
      bn->running_var.fill_(1);
      bn->num_batches_tracked.zero_();
      momenta.emplace_back(bn, bn->options.momentum());
    }
  }
  if (momenta.empty()) return 0;

  const torch::Tensor images = data.images.to(options.device);
  auto generator = at::detail::createCPUGenerator(options.seed);
  model->train();
  const int64_t n = images.size(0);
  Progress progress("batchnorm", n, options.progress);
  int64_t batches = 0;
  for (int64_t begin = 0; begin < n; begin += options.batch_size) {
    // update_bn's cumulative average (momentum None: factor 1/k for the k-th batch), with the
    // factor given rather than read back from num_batches_tracked: no GPU wait per layer.
    ++batches;
    for (auto& entry : momenta) entry.first->options.momentum(1.0 / static_cast<double>(batches));
    torch::Tensor batch = images.slice(0, begin, std::min(n, begin + options.batch_size));
    if (options.augment) batch = augment_crop_flip(batch, generator);
    torch::Tensor x = normalize_cifar(batch);
    if (options.channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    model->forward(x);
    progress.advance(batch.size(0));
  }
  progress.finish();
  for (auto& [bn, momentum] : momenta) bn->options.momentum(momentum);
  model->eval();
  return n;
}

}  // namespace swa
