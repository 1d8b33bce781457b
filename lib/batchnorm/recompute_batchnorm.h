// BatchNorm statistics re-estimated for the weights a model has now, exactly as
// torch.optim.swa_utils.update_bn does: running means zeroed, variances set to one, counters
// reset, momentum=None (a cumulative average with one update per batch), train mode, one pass
// over the images in order. Gradients are off (update_bn computes them and throws them away).
#pragma once
#include <torch/torch.h>

#include <map>
#include <optional>
#include <string>

#include "lib/data/cifar10.h"
#include "lib/distributed/ranks.h"
#include "lib/models/resnet.h"
#include "lib/runtime/measured_choice.h"

namespace swa {

// The memory layout a statistics pass runs in; the statistics do not depend on it (tested).
enum class ActivationLayout {
  kContiguous,    // NCHW, as PyTorch stores tensors by default
  kChannelsLast,  // NHWC weights and activations
  kOneDnn,        // CPU only: oneDNN's blocked layout, convolution weights prepacked once
                  // (ResNetImpl::prepack_for_onednn)
};
inline constexpr ActivationLayout kActivationLayouts[] = {
    ActivationLayout::kContiguous, ActivationLayout::kChannelsLast, ActivationLayout::kOneDnn};
// "contiguous", "channels_last", "onednn"
const char* layout_name(ActivationLayout layout);
// The layout of that name, if any.
std::optional<ActivationLayout> layout_named(const std::string& name);
// Whether `layout` runs on `device` with this LibTorch (onednn: on the CPU, if LibTorch was built
// with oneDNN, as Debian's and PyTorch's own builds are).
bool layout_runs_on(ActivationLayout layout, const torch::Device& device);

struct BatchNormPassOptions {
  int64_t batch_size = 500;
  bool augment = false;  // random crop + flip, as in training
  uint64_t seed = 0;     // for the augmentation
  torch::Device device = torch::kCPU;
  // Unset: channels_last on CUDA; on the CPU the fastest of those that run here
  // (layout_runs_on), timed on one batch the first time an architecture runs at a batch size on
  // this machine and remembered (lib/runtime/measured_choice.h).
  std::optional<ActivationLayout> layout;
  bool progress = true;
  // Several ranks (lib/distributed/ranks.h; null: Ranks::process()): each runs the batches it
  // owns (batch b on rank b % size, the augmentation drawn as in one process) and the per-rank
  // averages are combined, weighted by batch count: update_bn's result to float rounding. On the
  // CPU rank 0 chooses the layout for all.
  const Ranks* ranks = nullptr;
};

struct BatchNormPass {
  int64_t images = 0;                                       // seen by the pass
  ActivationLayout layout = ActivationLayout::kContiguous;  // the layout it ran in
  ChoiceSource layout_source;                               // why (lib/runtime/measured_choice.h)
  // Images per second of one train-mode batch in each layout, by layout name, if measured.
  std::map<std::string, double> measured_images_per_second;
  // From the call to the pass's first batch: moving the model, choosing the layout and, on a GPU,
  // one untimed warm-up batch (cuDNN's algorithm search), as a second pass in one process finds it.
  double setup_seconds = 0;
  double pass_seconds = 0;  // the pass alone, measuring the layout excluded
};

// `images` may already live on options.device (then nothing is copied). The model ends in eval
// mode, with its BatchNorm momenta restored.
BatchNormPass run_batchnorm_pass(ResNet& model, const ImageSet& images,
                                 const BatchNormPassOptions& options);
// run_batchnorm_pass(...).images
int64_t recompute_batchnorm(ResNet& model, const ImageSet& images,
                            const BatchNormPassOptions& options);

}  // namespace swa
