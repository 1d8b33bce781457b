#include "lib/batchnorm/recompute_batchnorm.h"

#include <algorithm>
#include <chrono>

#include "lib/batchnorm/rank_statistics.h"
#include "lib/data/image_batches.h"
#include "lib/runtime/measured_decision.h"
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

// Where the layout comes from (BatchNormPassOptions::layout): the flag's, channels_last on a
// GPU, else on the CPU measured among those that run here (rank 0's for all ranks).
void choose_layout(ResNet& model, const torch::Tensor& images, const BatchNormPassOptions& options,
                   const Ranks& ranks, BatchNormPass& out) {
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
  std::vector<std::string> names;
  std::string listed;
  for (const ActivationLayout layout : kActivationLayouts) {
    if (!layout_runs_on(layout, options.device)) continue;
    candidates.push_back(layout);
    names.emplace_back(layout_name(layout));
    listed += (listed.empty() ? "" : "/") + names.back();
  }
  const size_t channels_last = static_cast<size_t>(
      std::find(candidates.begin(), candidates.end(), ActivationLayout::kChannelsLast) -
      candidates.begin());
  const MeasuredDecision decision = decide_by_measuring(
      "choosing the layout",
      machine_choice_key("batchnorm layout among " + listed + " | " + model->spec().name() +
                         " | batch " + std::to_string(options.batch_size)),
      names, channels_last,
      [&](std::string& why) -> std::optional<std::vector<double>> {
        if (images.size(0) == 0) {
          why = "no images to measure";
          return std::nullopt;
        }
        // Train-mode forwards of one batch in each layout. They move the running statistics,
        // which the pass resets afterwards.
        const torch::Tensor batch =
            images.slice(0, 0, std::min(images.size(0), options.batch_size));
        torch::Tensor x;
        return images_per_second_in_turn(
            batch.size(0), candidates.size(), kMeasuredRounds, [&](size_t) { model->forward(x); },
            [&](size_t i) {
              use_layout(model, candidates[i]);
              x = network_input(batch, candidates[i]);
            });
      },
      ranks);
  out.layout = candidates[decision.chosen];
  out.layout_source = decision.source;
  for (size_t i = 0; i < decision.images_per_second.size(); ++i)
    out.measured_images_per_second[names[i]] = decision.images_per_second[i];
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
