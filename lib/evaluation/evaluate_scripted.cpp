// swa-eval with --model: the snapshot's weights in the user's TorchScript architecture, on any data
// source; metrics for any classifier (classes from the model's output width).
#include <chrono>

#include "formats/input_error.h"
#include "lib/data/open_example_source.h"
#include "lib/evaluation/evaluate_snapshot.h"
#include "lib/evaluation/scripted_predict.h"
#include "lib/models/scripted_model.h"

namespace swa {

Evaluation evaluate_scripted_snapshot(const EvaluationRequest& req) {
  const auto start = std::chrono::steady_clock::now();
  if (req.predict.precision != torch::kFloat)
    throw InputError("--precision", "applies to the built-in ResNets; --model runs as scripted");
  if (!req.predict.fold_batchnorm)
    throw InputError("--no-fold",
                     "applies to the built-in ResNets; with --model use --engine "
                     "reference (the module as scripted)");
  if (!req.arch_override.empty())
    throw InputError("--arch", "names a built-in ResNet; --model gives the architecture");
  ScriptedSnapshot loaded = load_scripted_snapshot(req.model, req.checkpoint, req.state_dict_key);
  ScriptedModel& model = loaded.model;
  const auto& snapshot = loaded.snapshot;
  const SnapshotFit& fit = loaded.fit;
  const auto examples = open_example_source(data_request(req.data, req.split, req.tensors));
  if (!examples->has_labels()) throw InputError(req.data.dir, "holds no labels to score against");

  Evaluation out;
  out.checkpoint = req.checkpoint;
  out.arch = model.type_name;
  out.bn_state = snapshot->meta().bn_state;
  out.split = split_label(req.data.dir, req.split);
  out.device = req.predict.device.str();
  out.class_names = examples->class_names();
  out.notes.push_back("data: " + examples->description());
  if (!fit.kept.empty()) out.notes.push_back(kept_buffers_note(fit));
  if (out.bn_state == bn_state::kAveraged)
    out.warnings.push_back(averaged_statistics_warning(req.checkpoint));

  const ScriptedPrediction prediction = predict_scripted(model, *examples, req.predict);
  if (!prediction.output_note.empty()) out.notes.push_back(prediction.output_note);
  for (const auto& note : prediction.notes) out.notes.push_back(note);
  examples->require_labels_below(prediction.logits.size(1));
  out.engine = engine_name(prediction.engine);
  out.engine_source = prediction.engine_source;
  out.engine_timing = prediction.timing;
  out.setup_seconds = prediction.setup_seconds;
  out.forward_seconds = prediction.pass_seconds;
  out.metrics = classification_metrics(prediction.logits, examples->labels(0, examples->size()));
  out.images_per_second =
      out.forward_seconds > 0 ? static_cast<double>(examples->size()) / out.forward_seconds : 0.0;
  out.total_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace swa
