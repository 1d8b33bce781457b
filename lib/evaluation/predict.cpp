#include "lib/evaluation/predict.h"

#include <chrono>
#include <optional>

#include "formats/input_error.h"
#include "lib/data/image_batches.h"
#include "lib/inference/frozen_resnet.h"
#include "lib/runtime/measured_choice.h"
#include "lib/runtime/precision.h"
#include "lib/runtime/progress.h"

namespace swa {

Prediction predict(ResNet& model, const torch::Tensor& images_any, const PredictOptions& options) {
  TORCH_CHECK(options.batch_size > 0, "batch size must be positive");
  using Clock = std::chrono::steady_clock;
  const auto setup_start = Clock::now();
  model->eval();
  model->to(options.device);
  const bool full_precision = options.precision == torch::kFloat;
  if (options.engine == InferenceEngine::kFrozen && !full_precision)
    throw InputError("--engine frozen runs in float32; with --precision use --engine reference");
  c10::InferenceMode inference;
  const torch::Tensor images = images_any.to(options.device);
  const int64_t n = images.size(0);
  const torch::Tensor first_batch = images.slice(0, 0, std::min(n, options.batch_size));

  Prediction out;
  std::optional<FrozenResNet> frozen;
  auto prepare_reference = [&] {
    if (options.fold_batchnorm && !model->folded()) model->fold_batchnorm();
    if (options.channels_last) use_channels_last(*model);
  };
  auto reference_forward = [&](const torch::Tensor& batch) {
    torch::Tensor x = normalize_cifar(batch);
    if (options.channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    AutocastScope autocast(options.device, options.precision);
    return model->forward(x).to(torch::kFloat);
  };
  auto frozen_forward = [&](const torch::Tensor& batch) {
    return frozen->forward(normalize_cifar(batch));
  };

  const Ranks& ranks = Ranks::of(options.ranks);
  const bool gpu = options.device.is_cuda();
  out.engine = options.engine;
  out.engine_source = {ChoiceSource::Kind::kFlag, "--engine"};
  if (options.engine == InferenceEngine::kAuto) {
    if (!full_precision || !options.fold_batchnorm) {
      out.engine = InferenceEngine::kReference;
      out.engine_source = {ChoiceSource::Kind::kSetting,
                           full_precision ? "--no-fold" : "precision"};
    } else {  // measured or remembered on this device: rank 0's choice for all ranks
      const EngineDecision decision = decide_engine(
          engine_choice_key(model->spec().name(), options.batch_size, options.device.str()),
          [&](std::string& why) -> std::optional<std::vector<double>> {
            if (n == 0) {
              why = "no images to measure";
              return std::nullopt;
            }
            frozen.emplace(*model);  // measured on the first batch; what was built is kept
            prepare_reference();
            return images_per_second_in_turn(
                first_batch.size(0), 2, kMeasuredRounds, [&](size_t engine) {
                  engine == 0 ? frozen_forward(first_batch) : reference_forward(first_batch);
                });
          },
          ranks);
      out.engine = decision.engine;
      out.engine_source = decision.source;
      out.timing = decision.timing;
      if (out.engine == InferenceEngine::kReference) frozen.reset();
    }
  }
  const bool use_frozen = out.engine == InferenceEngine::kFrozen;
  if (use_frozen && !frozen) frozen.emplace(*model);
  if (!use_frozen) prepare_reference();
  auto forward = [&](const torch::Tensor& batch) {
    return use_frozen ? frozen_forward(batch) : reference_forward(batch);
  };
  if (gpu && n > 0) {
    forward(first_batch);
    torch::cuda::synchronize();
  }
  const auto pass_start = Clock::now();
  out.setup_seconds = std::chrono::duration<double>(pass_start - setup_start).count();
  std::vector<std::pair<int64_t, torch::Tensor>> outputs;  // on the device until the end
  Progress progress("evaluate", n, options.progress);
  for (int64_t begin = 0, b = 0; begin < n; begin += options.batch_size, ++b) {
    const int64_t end = std::min(n, begin + options.batch_size);
    if (ranks.owns_batch(b)) outputs.emplace_back(begin, forward(images.slice(0, begin, end)));
    progress.advance(end - begin);
  }
  out.logits = ranks.assemble_rows(outputs, n, model->num_classes(), "gathering the logits");
  out.pass_seconds = std::chrono::duration<double>(Clock::now() - pass_start).count();
  progress.finish();
  return out;
}

torch::Tensor predict_logits(ResNet& model, const torch::Tensor& images,
                             const PredictOptions& options) {
  return predict(model, images, options).logits;
}

}  // namespace swa
