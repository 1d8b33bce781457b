#include "lib/evaluation/scripted_predict.h"

#include <torch/version.h>

#include <chrono>
#include <functional>
#include <optional>

#include "formats/input_error.h"
#include "lib/models/scripted_normalisation.h"
#include "lib/runtime/measured_choice.h"
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

torch::Tensor run(torch::jit::Module& module, const std::string& model, const torch::Tensor& inputs,
                  const std::string& data, std::string& note) {
  const torch::Tensor logits = logits_of(run_forward(module, model, inputs, data), model, note);
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
  const torch::Tensor first = run(scripted.module, model, probe, data, note);
  const torch::Tensor again = run(scripted.module, model, probe, data, note);
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
  if (half >= 1 && relative_difference(first.slice(0, 0, half),
                                       run(scripted.module, model, probe.slice(0, 0, half), data,
                                           note)) > kTolerance) {
    throw InputError(model,
                     "an example's output depends on the rest of its batch in eval mode "
                     "(BatchNorm on batch statistics): " +
                         traced);
  }
}

// LibTorch's warnings while a candidate graph is tried (the broken one resizes outputs and says so
// for every batch): dropped, since the candidate is checked and the user told what was found.
// (LibTorch 2.x passes the warning whole and keeps the guard in WarningUtils.)
class QuietWarnings : public c10::WarningHandler {
 public:
#if TORCH_VERSION_MAJOR >= 2
  void process(const c10::Warning&) override {}
#else
  void process(const c10::SourceLocation&, const std::string&, const bool) override {}
#endif
};
#if TORCH_VERSION_MAJOR >= 2
using WarningHandlerGuard = c10::WarningUtils::WarningHandlerGuard;
#else
using WarningHandlerGuard = c10::Warning::WarningHandlerGuard;
#endif

// The frozen, inference-optimised copy (torch.jit.freeze, then optimize_for_inference), checked
// against the module as scripted on `batch`: PyTorch 1.13's optimize_for_inference changes some
// models' outputs (MobileNetV2's by a relative 1.6, measured), and then the frozen graph alone is
// taken, checked likewise. nullopt, with why, when neither gives the module's outputs.
std::optional<torch::jit::Module> frozen_copy(ScriptedModel& model, const torch::Tensor& batch,
                                              const std::string& data, std::string& why,
                                              std::vector<std::string>& notes) {
  constexpr double kFrozenTolerance = 1e-4;  // relative norm of the logits, as the ResNets'
  QuietWarnings quiet;
  const WarningHandlerGuard silence(&quiet);
  std::string note;
  const torch::Tensor reference =
      batch.size(0) > 0 ? run(model.module, model.path, batch, data, note) : torch::Tensor();
  auto agrees = [&](torch::jit::Module& candidate, double& difference) {
    if (!reference.defined()) return true;
    difference = relative_difference(reference, run(candidate, model.path, batch, data, note));
    return difference <= kFrozenTolerance;
  };
  try {
    torch::jit::Module to_optimise = torch::jit::freeze(model.module);
    torch::jit::Module optimised = torch::jit::optimize_for_inference(to_optimise);  // in place
    double difference = 0;
    if (agrees(optimised, difference)) return optimised;
    const std::string changed = std::to_string(difference);
    torch::jit::Module frozen = torch::jit::freeze(model.module);
    if (agrees(frozen, difference)) {
      notes.push_back("torch.jit.optimize_for_inference changes this model's outputs (relative " +
                      changed + "): the frozen graph runs without it");
      return frozen;
    }
    why = "the frozen graph's outputs differ from the module's (relative " +
          std::to_string(difference) + ")";
  } catch (const std::exception& e) {
    const std::string text = e.what();
    why = text.substr(0, text.find('\n'));
  }
  return std::nullopt;
}

// The engine a pass runs (ScriptedPrediction::engine): --engine's, else the faster of the two on
// the first batch, measured once per machine and device and remembered, rank 0's for all ranks.
// `first_batch` reads it when an engine is built or measured (not for a flag's or a remembered
// reference).
torch::jit::Module choose_engine(ScriptedModel& model,
                                 const std::function<const torch::Tensor&()>& first_batch,
                                 const PredictOptions& options, const std::string& data,
                                 ScriptedPrediction& out) {
  out.engine = options.engine;
  out.engine_source = {ChoiceSource::Kind::kFlag, "--engine"};
  if (options.engine == InferenceEngine::kReference) return model.module;
  std::string why;
  if (options.engine == InferenceEngine::kFrozen) {
    auto frozen = frozen_copy(model, first_batch(), data, why, out.notes);
    if (!frozen) throw InputError(model.path, "cannot be frozen (--engine frozen): " + why);
    return *frozen;
  }
  std::optional<torch::jit::Module> frozen;
  const EngineDecision decision = decide_engine(
      engine_choice_key("torchscript " + model.type_name, options.batch_size, options.device.str()),
      [&](std::string& not_measured) -> std::optional<std::vector<double>> {
        frozen = frozen_copy(model, first_batch(), data, why, out.notes);
        if (!frozen || first_batch().size(0) == 0) {
          not_measured = frozen ? "no examples" : why;
          return std::nullopt;
        }
        std::string note;
        return images_per_second_in_turn(
            first_batch().size(0), 2, kMeasuredRounds, [&](size_t engine) {
              run(engine == 0 ? *frozen : model.module, model.path, first_batch(), data, note);
            });
      },
      Ranks::of(options.ranks));
  out.engine = decision.engine;
  out.engine_source = decision.source;
  out.timing = decision.timing;
  if (out.engine == InferenceEngine::kReference) return model.module;
  if (!frozen) frozen = frozen_copy(model, first_batch(), data, why, out.notes);
  if (frozen) return *frozen;
  out.engine = InferenceEngine::kReference;
  out.engine_source = {ChoiceSource::Kind::kDefault, why};
  return model.module;
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
    classes = run(model.module, model.path, probe.slice(0, 0, 1), data, out.output_note).size(1);
  }
  torch::Tensor first_batch;
  auto read_first_batch = [&]() -> const torch::Tensor& {
    if (!first_batch.defined()) {
      first_batch = n > 0 ? examples.batch(0, std::min(n, options.batch_size), nullptr)
                                .inputs.to(options.device)
                          : torch::empty({0});
    }
    return first_batch;
  };
  torch::jit::Module runner = choose_engine(model, read_first_batch, options, data, out);
  const auto pass_start = Clock::now();
  out.setup_seconds = std::chrono::duration<double>(pass_start - setup_start).count();
  std::vector<std::pair<int64_t, torch::Tensor>> parts;
  Progress progress("evaluate", n, options.progress);
  for (int64_t begin = 0, b = 0; begin < n; begin += options.batch_size, ++b) {
    const int64_t end = std::min(n, begin + options.batch_size);
    if (ranks.owns_batch(b)) {
      const torch::Tensor inputs = examples.batch(begin, end, nullptr).inputs.to(options.device);
      parts.emplace_back(begin, run(runner, model.path, inputs, data, out.output_note));
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
