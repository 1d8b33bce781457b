#include "lib/evaluation/predict.h"

#include <optional>

#include "formats/input_error.h"
#include "lib/data/image_batches.h"
#include "lib/inference/frozen_resnet.h"
#include "lib/runtime/progress.h"

namespace swa {

torch::Tensor predict_logits(ResNet& model, const torch::Tensor& images_any,
                             const PredictOptions& options) {
  TORCH_CHECK(options.batch_size > 0, "batch size must be positive");
  model->eval();
  model->to(options.device);
  std::optional<FrozenResNet> frozen;
  const bool use_frozen = options.engine == InferenceEngine::kFrozen ||
                          (options.engine == InferenceEngine::kAuto && options.device.is_cpu() &&
                           options.fold_batchnorm);
  if (use_frozen) {
    if (!options.device.is_cpu()) {
      throw InputError("--engine frozen runs on the CPU; on " + options.device.str() +
                       " use --engine reference (or auto)");
    }
    frozen.emplace(*model);
  }
  if (options.fold_batchnorm && !frozen) model->fold_batchnorm();
  if (options.channels_last && !frozen) use_channels_last(*model);
  c10::InferenceMode inference;
  const torch::Tensor images = images_any.to(options.device);
  const int64_t n = images.size(0);
  std::vector<torch::Tensor> outputs;
  Progress progress("evaluate", n, options.progress);
  for (int64_t begin = 0; begin < n; begin += options.batch_size) {
    torch::Tensor x =
        normalize_cifar(images.slice(0, begin, std::min(n, begin + options.batch_size)));
    if (frozen) {
      outputs.push_back(frozen->forward(x).to(torch::kCPU, torch::kFloat));
    } else {
      if (options.channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
      outputs.push_back(model->forward(x).to(torch::kCPU, torch::kFloat));
    }
    progress.advance(x.size(0));
  }
  progress.finish();
  return torch::cat(outputs);
}

}  // namespace swa
