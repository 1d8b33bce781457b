#include "lib/evaluation/predict.h"

#include <chrono>
#include <optional>

#include "formats/input_error.h"
#include "lib/data/image_batches.h"
#include "lib/inference/frozen_resnet.h"
#include "lib/runtime/precision.h"
#include "lib/runtime/progress.h"

namespace swa {

Prediction predict(ResNet& model, const torch::Tensor& images_any, const PredictOptions& options) {
  TORCH_CHECK(options.batch_size > 0, "batch size must be positive");
  using Clock = std::chrono::steady_clock;
  const auto setup_start = Clock::now();
  model->eval();
  model->to(options.device);
  std::optional<FrozenResNet> frozen;
  const bool full_precision = options.precision == torch::kFloat;
  const bool use_frozen = full_precision && options.fold_batchnorm &&
                          (options.engine == InferenceEngine::kFrozen ||
                           (options.engine == InferenceEngine::kAuto && options.device.is_cpu()));
  if (options.engine == InferenceEngine::kFrozen && !full_precision)
    throw InputError("--engine frozen runs in float32; with --precision use --engine reference");
  if (use_frozen) frozen.emplace(*model);
  if (options.fold_batchnorm && !frozen) model->fold_batchnorm();
  if (options.channels_last && !frozen) use_channels_last(*model);
  c10::InferenceMode inference;
  const torch::Tensor images = images_any.to(options.device);
  const int64_t n = images.size(0);
  auto forward = [&](const torch::Tensor& batch) {
    torch::Tensor x = normalize_cifar(batch);
    if (frozen) return frozen->forward(x);
    if (options.channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    AutocastScope autocast(options.device, options.precision);
    return model->forward(x).to(torch::kFloat);
  };
  const bool gpu = options.device.is_cuda();
  if (gpu && n > 0) {
    forward(images.slice(0, 0, std::min(n, options.batch_size)));
    torch::cuda::synchronize();
  }
  Prediction out;
  const auto pass_start = Clock::now();
  out.setup_seconds = std::chrono::duration<double>(pass_start - setup_start).count();
  std::vector<torch::Tensor> outputs;  // on the device until the end: no wait per batch
  Progress progress("evaluate", n, options.progress);
  for (int64_t begin = 0; begin < n; begin += options.batch_size) {
    const int64_t end = std::min(n, begin + options.batch_size);
    outputs.push_back(forward(images.slice(0, begin, end)));
    progress.advance(end - begin);
  }
  if (gpu) torch::cuda::synchronize();
  out.pass_seconds = std::chrono::duration<double>(Clock::now() - pass_start).count();
  out.logits = torch::cat(outputs).to(torch::kCPU, torch::kFloat);
  progress.finish();
  return out;
}

torch::Tensor predict_logits(ResNet& model, const torch::Tensor& images,
                             const PredictOptions& options) {
  return predict(model, images, options).logits;
}

}  // namespace swa
