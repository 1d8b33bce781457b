#include "lib/batchnorm/recompute_batchnorm.h"

#include <chrono>

#include "lib/batchnorm/rank_statistics.h"
#include "lib/data/image_batches.h"
#include "lib/runtime/measured_choice.h"
#include "lib/runtime/progress.h"

namespace swa {
namespace {

using Clock = std::chrono::steady_clock;

// Puts the model's weights in `layout`: 4-d parameters channels_last or contiguous, and for
// kOneDnn the convolutions' prepacked copies besides (dropped by any other layout).
void use_layout(ResNet& model, ActivationLayout layout) {
  model->drop_onednn_weights();
  if (layout == ActivationLayout::kChannelsLast) {
    use_channels_last(*model);
    return;
  }
  {
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters()) {
      if (p.dim() == 4) p.set_data(p.contiguous());
    }
  }
  if (layout == ActivationLayout::kOneDnn) model->prepack_for_onednn();
}

// The prepacked weights live only as long as the pass (the weights may change after it).
class DropOneDnnWeightsAtExit {
 public:
  explicit DropOneDnnWeightsAtExit(ResNet& model) : model_(model) {}
  DropOneDnnWeightsAtExit(const DropOneDnnWeightsAtExit&) = delete;
  DropOneDnnWeightsAtExit& operator=(const DropOneDnnWeightsAtExit&) = delete;
  ~DropOneDnnWeightsAtExit() { model_->drop_onednn_weights(); }

 private:
  ResNet& model_;
};

torch::Tensor network_input(const torch::Tensor& batch_u8, ActivationLayout layout) {
  const torch::Tensor x = normalize_cifar(batch_u8);
  switch (layout) {
    case ActivationLayout::kChannelsLast:
      return x.contiguous(torch::MemoryFormat::ChannelsLast);
    case ActivationLayout::kOneDnn:
      return x.contiguous().to_mkldnn();
    case ActivationLayout::kContiguous:
      break;
  }
  return x;
}

// Where the layout comes from (BatchNormPassOptions::layout), measuring it if need be.
void choose_layout_here(ResNet& model, const torch::Tensor& images,
                        const BatchNormPassOptions& options, BatchNormPass& out) {
  if (options.layout) {
    out.layout = *options.layout;
    out.layout_source = {ChoiceSource::Kind::kFlag, "--layout"};
    return;
  }
  if (!options.device.is_cpu()) {
    out.layout = ActivationLayout::kChannelsLast;
    out.layout_source = {ChoiceSource::Kind::kDevice, options.device.str()};
    return;
  }
  std::vector<ActivationLayout> candidates;
  std::string names;
  for (const ActivationLayout layout : kActivationLayouts) {
    if (!layout_runs_on(layout, options.device)) continue;
    candidates.push_back(layout);
    names += std::string(names.empty() ? "" : "/") + layout_name(layout);
  }
  const std::string key =
      machine_choice_key("batchnorm layout among " + names + " | " + model->spec().name() +
                         " | batch " + std::to_string(options.batch_size));
  const auto known = remembered_choice(key);
  if (known && layout_named(*known)) {
    out.layout = *layout_named(*known);
    out.layout_source = {ChoiceSource::Kind::kRemembered, ""};
    return;
  }
  out.layout = ActivationLayout::kChannelsLast;
  out.layout_source = {ChoiceSource::Kind::kDefault, "no images to measure"};
  if (images.size(0) == 0) return;
  // Train-mode forwards of one batch in each layout. They move the running statistics, which the
  // pass resets afterwards.
  const torch::Tensor batch = images.slice(0, 0, std::min(images.size(0), options.batch_size));
  torch::Tensor x;
  const std::vector<double> speeds = images_per_second_in_turn(
      batch.size(0), candidates.size(), kMeasuredRounds, [&](size_t) { model->forward(x); },
      [&](size_t i) {
        use_layout(model, candidates[i]);
        x = network_input(batch, candidates[i]);
      });
  double best = -1;
  for (size_t i = 0; i < speeds.size(); ++i) {
    out.measured_images_per_second[layout_name(candidates[i])] = speeds[i];
    if (speeds[i] > best) {
      best = speeds[i];
      out.layout = candidates[i];
    }
  }
  out.layout_source = {ChoiceSource::Kind::kMeasured, ""};
  remember_choice(key, layout_name(out.layout), out.measured_images_per_second);
}

// With several ranks on the CPU, rank 0's choice for all.
void choose_layout(ResNet& model, const torch::Tensor& images, const BatchNormPassOptions& options,
                   const Ranks& ranks, BatchNormPass& out) {
  if (options.layout || !options.device.is_cpu()) {
    choose_layout_here(model, images, options, out);
    return;
  }
  out.layout = static_cast<ActivationLayout>(ranks.rank_0_decides("choosing the layout", [&] {
    choose_layout_here(model, images, options, out);
    return static_cast<int64_t>(out.layout);
  }));
  if (!ranks.leads()) out.layout_source = {ChoiceSource::Kind::kRank0, ""};
}

}  // namespace

const char* layout_name(ActivationLayout layout) {
  switch (layout) {
    case ActivationLayout::kContiguous:
      return "contiguous";
    case ActivationLayout::kChannelsLast:
      return "channels_last";
    case ActivationLayout::kOneDnn:
      return "onednn";
  }
  return "unknown";
}

std::optional<ActivationLayout> layout_named(const std::string& name) {
  for (const ActivationLayout layout : kActivationLayouts) {
    if (name == layout_name(layout)) return layout;
  }
  return std::nullopt;
}

bool layout_runs_on(ActivationLayout layout, const torch::Device& device) {
  return layout != ActivationLayout::kOneDnn || (device.is_cpu() && at::hasMKLDNN());
}

BatchNormPass run_batchnorm_pass(ResNet& model, const ImageSet& data,
                                 const BatchNormPassOptions& options) {
  TORCH_CHECK(options.batch_size > 0, "batch size must be positive");
  TORCH_CHECK(!model->folded(), "cannot re-estimate the statistics of a folded model");
  const auto setup_start = Clock::now();
  torch::NoGradGuard no_grad;
  model->to(options.device);
  model->train();
  const torch::Tensor images = data.images.to(options.device);
  const Ranks& ranks = Ranks::of(options.ranks);
  BatchNormPass out;
  TORCH_CHECK(!options.layout || layout_runs_on(*options.layout, options.device), "the ",
              layout_name(*options.layout), " layout does not run on ", options.device.str(),
              " with this LibTorch");
  const DropOneDnnWeightsAtExit drop_prepacked(model);
  choose_layout(model, images, options, ranks, out);
  use_layout(model, out.layout);
  if (options.device.is_cuda() && images.size(0) > 0) {  // statistics reset below
    model->forward(network_input(images.slice(0, 0, std::min(images.size(0), options.batch_size)),
                                 out.layout));
    torch::cuda::synchronize();
  }

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
  out.setup_seconds = std::chrono::duration<double>(start - setup_start).count();
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
    model->forward(network_input(batch, out.layout));
  }
  if (ranks.grouped()) {  // a group of one too: its backend at work
    std::vector<BatchNormBuffers> layers;
    for (auto& entry : momenta) {
      auto* bn = entry.first;
      layers.push_back({bn->running_mean, bn->running_var, bn->num_batches_tracked});
    }
    combine_rank_statistics(layers, batches, ranks);
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
