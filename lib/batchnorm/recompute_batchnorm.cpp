#include "lib/batchnorm/recompute_batchnorm.h"

#include <chrono>

#include "lib/data/image_batches.h"
#include "lib/runtime/measured_choice.h"
#include "lib/runtime/progress.h"

namespace swa {
namespace {

using Clock = std::chrono::steady_clock;

void use_layout(ResNet& model, bool channels_last) {
  if (channels_last) {
    use_channels_last(*model);
    return;
  }
  torch::NoGradGuard no_grad;
  for (auto& p : model->parameters()) {
    if (p.dim() == 4) p.set_data(p.contiguous());
  }
}

torch::Tensor network_input(const torch::Tensor& batch_u8, bool channels_last) {
  torch::Tensor x = normalize_cifar(batch_u8);
  return channels_last ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x;
}

// Images per second of a train-mode forward of `batch` in a layout (after a warm-up forward). It
// moves the running statistics, which the pass resets afterwards.
double time_train_forward(ResNet& model, const torch::Tensor& batch, bool channels_last) {
  use_layout(model, channels_last);
  const torch::Tensor x = network_input(batch, channels_last);
  return images_per_second_after_warmup(batch.size(0), [&] { model->forward(x); });
}

// Where the layout comes from (BatchNormPassOptions::channels_last), measuring it if need be.
void choose_layout_here(ResNet& model, const torch::Tensor& images,
                        const BatchNormPassOptions& options, BatchNormPass& out) {
  if (options.channels_last) {
    out.channels_last = *options.channels_last;
    out.layout_source = "option";
    return;
  }
  if (!options.device.is_cpu()) {
    out.channels_last = true;
    out.layout_source = options.device.str();
    return;
  }
  const std::string key = machine_choice_key("batchnorm layout | " + model->spec().name() +
                                             " | batch " + std::to_string(options.batch_size));
  const auto known = remembered_choice(key);
  if (known && (*known == "channels_last" || *known == "contiguous")) {
    out.channels_last = *known == "channels_last";
    out.layout_source = "remembered";
    return;
  }
  out.channels_last = true;
  out.layout_source = "channels_last";
  if (images.size(0) == 0) return;
  const torch::Tensor batch = images.slice(0, 0, std::min(images.size(0), options.batch_size));
  out.contiguous_images_per_second = time_train_forward(model, batch, false);
  out.channels_last_images_per_second = time_train_forward(model, batch, true);
  out.channels_last = out.channels_last_images_per_second >= out.contiguous_images_per_second;
  out.layout_source = "measured";
  remember_choice(key, out.channels_last ? "channels_last" : "contiguous",
                  {{"channels_last_images_per_second", out.channels_last_images_per_second},
                   {"contiguous_images_per_second", out.contiguous_images_per_second}});
}

// With several ranks on the CPU, rank 0's choice for all.
void choose_layout(ResNet& model, const torch::Tensor& images, const BatchNormPassOptions& options,
                   const Ranks& ranks, BatchNormPass& out) {
  if (options.channels_last || !options.device.is_cpu()) {
    choose_layout_here(model, images, options, out);
    return;
  }
  out.channels_last = ranks.rank_0_decides("choosing the layout", [&] {
    choose_layout_here(model, images, options, out);
    return static_cast<int64_t>(out.channels_last);
  }) != 0;
  if (!ranks.leads()) out.layout_source = "rank 0";
}

// Each rank's statistics average its own `batches` batches; the pass's average over all ranks'
// batches is their sum weighted by batch count, divided by the total.
void combine_ranks(const std::vector<torch::nn::BatchNorm2dImpl*>& layers, int64_t batches,
                   const Ranks& ranks) {
  std::vector<torch::Tensor> parts;
  for (auto* bn : layers) {
    parts.push_back(bn->running_mean.flatten());
    parts.push_back(bn->running_var.flatten());
  }
  std::vector<torch::Tensor> shared{torch::cat(parts).to(torch::kDouble).mul_(batches),
                                    torch::tensor({batches}, torch::kLong)};
  ranks.sum(shared, "combining BatchNorm statistics");
  const int64_t total = shared[1].item<int64_t>();
  const torch::Tensor averaged = shared[0].div_(static_cast<double>(std::max<int64_t>(total, 1)));
  int64_t offset = 0;
  for (auto* bn : layers) {
    for (auto* buffer : {&bn->running_mean, &bn->running_var}) {
      const int64_t count = buffer->numel();
      buffer->copy_(averaged.slice(0, offset, offset + count).view_as(*buffer));
      offset += count;
    }
    bn->num_batches_tracked.fill_(total);
  }
}

}  // namespace

BatchNormPass run_batchnorm_pass(ResNet& model, const ImageSet& data,
                                 const BatchNormPassOptions& options) {
  TORCH_CHECK(options.batch_size > 0, "batch size must be positive");
  TORCH_CHECK(!model->folded(), "cannot re-estimate the statistics of a folded model");
  torch::NoGradGuard no_grad;
  model->to(options.device);
  model->train();
  const torch::Tensor images = data.images.to(options.device);
  const Ranks& ranks = Ranks::of(options.ranks);
  BatchNormPass out;
  choose_layout(model, images, options, ranks, out);
  use_layout(model, out.channels_last);

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
  if (momenta.empty()) {
    model->eval();
    return out;
  }

  const auto start = Clock::now();
  auto generator = at::detail::createCPUGenerator(options.seed);
  const int64_t n = images.size(0);
  Progress progress("batchnorm", n, options.progress);
  int64_t batches = 0;  // run here
  for (int64_t begin = 0, b = 0; begin < n; begin += options.batch_size, ++b) {
    torch::Tensor batch = images.slice(0, begin, std::min(n, begin + options.batch_size));
    progress.advance(batch.size(0));
    if (!ranks.owns_batch(b)) {  // another rank's: its draws are skipped as that rank takes them
      if (options.augment) draw_crop_flip(batch.size(0), generator, torch::kCPU);
      continue;
    }
    // update_bn's cumulative average (momentum None: factor 1/k for the k-th batch), with the
    // factor given rather than read back from num_batches_tracked: no GPU wait per layer.
    ++batches;
    for (auto& entry : momenta) entry.first->options.momentum(1.0 / static_cast<double>(batches));
    if (options.augment) batch = augment_crop_flip(batch, generator);
    model->forward(network_input(batch, out.channels_last));
  }
  if (ranks.several()) {
    std::vector<torch::nn::BatchNorm2dImpl*> layers;
    for (auto& entry : momenta) layers.push_back(entry.first);
    combine_ranks(layers, batches, ranks);
  }
  if (options.device.is_cuda()) torch::cuda::synchronize();
  out.pass_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  progress.finish();
  for (auto& [bn, momentum] : momenta) bn->options.momentum(momentum);
  model->eval();
  out.images = n;
  return out;
}

int64_t recompute_batchnorm(ResNet& model, const ImageSet& images,
                            const BatchNormPassOptions& options) {
  return run_batchnorm_pass(model, images, options).images;
}

}  // namespace swa
