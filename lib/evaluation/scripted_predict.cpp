#include "lib/evaluation/scripted_predict.h"

#include <chrono>

#include "formats/input_error.h"
#include "lib/models/scripted_normalisation.h"
#include "lib/runtime/progress.h"

namespace swa {
namespace {

using Clock = std::chrono::steady_clock;

// The logits in a module's output, and how they were found ("" for a plain tensor).
torch::Tensor logits_of(const c10::IValue& output, const std::string& model, std::string& note) {
  if (output.isTensor()) return output.toTensor();
  auto first_tensor = [&](const std::vector<c10::IValue>& items, const char* what) {
    for (const auto& item : items) {
      if (item.isTensor()) {
        note = std::string("the model returns a ") + what +
               ": its first tensor is taken as the "
               "logits";
        return item.toTensor();
      }
    }
    throw InputError(model, std::string("returns a ") + what + " without a tensor");
  };
  if (output.isTuple()) return first_tensor(output.toTupleRef().elements().vec(), "tuple");
  if (output.isList()) return first_tensor(output.toListRef().vec(), "list");
  if (output.isGenericDict()) {
    std::vector<c10::IValue> values;
    for (const auto& entry : output.toGenericDict()) {
      if (entry.key().isString() && entry.key().toStringRef() == "logits" &&
          entry.value().isTensor()) {
        note = "the model returns a dict: its 'logits' are taken";
        return entry.value().toTensor();
      }
      values.push_back(entry.value());
    }
    return first_tensor(values, "dict without 'logits'");
  }
  throw InputError(model, "returns " + output.tagKind() + ", not logits");
}

torch::Tensor run(ScriptedModel& scripted, const torch::Tensor& inputs, const std::string& data,
                  std::string& note) {
  const std::string& model = scripted.path;
  const torch::Tensor logits = logits_of(run_forward(scripted, inputs, data), model, note);
  if (logits.dim() != 2 || logits.size(0) != inputs.size(0)) {
    std::string shape;
    for (const int64_t d : logits.sizes()) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
    throw InputError(model, "returns a tensor [" + shape + "] for " +
                                std::to_string(inputs.size(0)) +
                                " examples: expected logits [examples, classes]");
  }
  return logits.to(torch::kFloat);
}

double relative_difference(const torch::Tensor& a, const torch::Tensor& b) {
  const double scale = std::max(a.norm().item<double>(), 1e-12);
  return (a - b).norm().item<double>() / scale;
}

// Eval mode checked on a few examples: statistics that stay, outputs that repeat and do not
// depend on the rest of the batch.
void check_eval_mode(ScriptedModel& scripted, const torch::Tensor& probe, const std::string& data,
                     std::string& note) {
  const std::string& model = scripted.path;
  const std::string traced =
      "the file was traced in train mode (torch.jit.trace bakes the mode in); save "
      "torch.jit.script(model), or trace it after model.eval()";
  std::vector<torch::Tensor> before;
  const NormalisationLayers layers = normalisation_layers(scripted.module);
  for (const auto& bn : layers.batchnorms) before.push_back(bn.running_mean().clone());
  const torch::Tensor first = run(scripted, probe, data, note);
  const torch::Tensor again = run(scripted, probe, data, note);
  for (size_t i = 0; i < before.size(); ++i) {
    if (!before[i].equal(layers.batchnorms[i].running_mean())) {
      throw InputError(model, "BatchNorm '" + layers.batchnorms[i].name +
                                  "' updates its running statistics in eval mode: " + traced);
    }
  }
  constexpr double kTolerance = 1e-3;  // far above float rounding, far below batch statistics
  if (relative_difference(first, again) > kTolerance) {
    throw InputError(model,
                     "two eval-mode runs of the same examples give different outputs "
                     "(dropout or another random layer still active): " +
                         traced);
  }
  // A BatchNorm without running statistics uses its batch's in eval mode too, as PyTorch's does.
  for (const auto& other : layers.left_alone) {
    if (other.find("BatchNorm") != std::string::npos) return;
  }
  const int64_t half = probe.size(0) / 2;
  if (half >= 1 &&
      relative_difference(first.slice(0, 0, half),
                          run(scripted, probe.slice(0, 0, half), data, note)) > kTolerance) {
    throw InputError(model,
                     "an example's output depends on the rest of its batch in eval mode "
                     "(BatchNorm on batch statistics): " +
                         traced);
  }
}

}  // namespace

ScriptedPrediction predict_scripted(ScriptedModel& model, const ExampleSource& examples,
                                    const PredictOptions& options) {
  TORCH_CHECK(options.batch_size > 0, "batch size must be positive");
  const auto setup_start = Clock::now();
  torch::NoGradGuard no_grad;
  model.module.eval();
  model.module.to(options.device);
  ScriptedPrediction out;
  const int64_t n = examples.size();
  const Ranks& ranks = Ranks::of(options.ranks);
  const std::string data = examples.description();
  int64_t classes = 0;
  if (n > 0) {  // every rank: the check, and the class count for assembling the logits
    constexpr int64_t kProbeExamples = 16;
    const torch::Tensor probe =
        examples.batch(0, std::min(n, kProbeExamples), nullptr).inputs.to(options.device);
    check_eval_mode(model, probe, data, out.output_note);
    classes = run(model, probe.slice(0, 0, 1), data, out.output_note).size(1);
  }
  const auto pass_start = Clock::now();
  out.setup_seconds = std::chrono::duration<double>(pass_start - setup_start).count();
  std::vector<std::pair<int64_t, torch::Tensor>> parts;
  Progress progress("evaluate", n, options.progress);
  for (int64_t begin = 0, b = 0; begin < n; begin += options.batch_size, ++b) {
    const int64_t end = std::min(n, begin + options.batch_size);
    if (ranks.owns_batch(b)) {
      const torch::Tensor inputs = examples.batch(begin, end, nullptr).inputs.to(options.device);
      parts.emplace_back(begin, run(model, inputs, data, out.output_note));
    }
    progress.advance(end - begin);
  }
  out.logits = ranks.assemble_rows(parts, n, classes, "gathering the logits");
  if (options.device.is_cuda()) torch::cuda::synchronize();
  out.pass_seconds = std::chrono::duration<double>(Clock::now() - pass_start).count();
  progress.finish();
  return out;
}

}  // namespace swa
