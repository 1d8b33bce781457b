// Logits of any TorchScript classifier over an ExampleSource, in eval mode, batch by batch, on
// the CPU or a GPU, shared over ranks as predict() shares them (lib/evaluation/predict.h).
// The module's output: a tensor [batch, classes]; a tuple or list gives its first tensor, a dict
// its "logits" (else its first tensor), said once in `output_note`.
// Before the pass, a few examples check that eval mode is eval mode: BatchNorm statistics that
// move, outputs that differ between two runs of the same examples, or an example's output that
// depends on the rest of its batch mean the file was traced in train mode: refused, saying so.
#pragma once
#include <string>
#include <vector>

#include "lib/data/example_source.h"
#include "lib/evaluation/predict.h"
#include "lib/models/scripted_model.h"

namespace swa {

struct ScriptedPrediction {
  torch::Tensor logits;            // float32 [N, classes] on the CPU
  std::string output_note;         // how the logits were taken from the output, when not a tensor
  std::vector<std::string> notes;  // what else a person should know (the frozen engine's checks)
  // kFrozen: a frozen, inference-optimised copy (torch.jit.freeze + optimize_for_inference:
  // BatchNorm folded, on the CPU oneDNN's prepacked weights), built after the weights are loaded
  // and checked against the module on the first batch (relative 1e-4; see frozen_copy);
  // kReference: the module as scripted. --engine chooses; auto: the faster on the first batch,
  // measured once per machine, device and model class (lib/runtime/measured_choice.h).
  InferenceEngine engine = InferenceEngine::kReference;
  ChoiceSource engine_source;
  EngineTiming timing;
  double setup_seconds = 0;
  double pass_seconds = 0;
};

// Uses options.engine, batch_size, device, progress and ranks. Throws InputError naming the model.
ScriptedPrediction predict_scripted(ScriptedModel& model, const ExampleSource& examples,
                                    const PredictOptions& options);

}  // namespace swa
