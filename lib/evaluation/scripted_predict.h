// Logits of any TorchScript classifier over an ExampleSource, in eval mode, batch by batch, on
// the CPU or a GPU, shared over ranks as predict() shares them (lib/evaluation/predict.h).
// The module's output: a tensor [batch, classes]; a tuple or list gives its first tensor, a dict
// its "logits" (else its first tensor), said once in `output_note`.
// Before the pass, a few examples check that eval mode is eval mode: BatchNorm statistics that
// move, outputs that differ between two runs of the same examples, or an example's output that
// depends on the rest of its batch mean the file was traced in train mode: refused, saying so.
#pragma once
#include <string>

#include "lib/data/example_source.h"
#include "lib/evaluation/predict.h"
#include "lib/models/scripted_model.h"

namespace swa {

struct ScriptedPrediction {
  torch::Tensor logits;     // float32 [N, classes] on the CPU
  std::string output_note;  // how the logits were taken from the output, when not a tensor
  double setup_seconds = 0;
  double pass_seconds = 0;
};

// Uses options.batch_size, device, progress and ranks. Throws InputError naming the model.
ScriptedPrediction predict_scripted(ScriptedModel& model, const ExampleSource& examples,
                                    const PredictOptions& options);

}  // namespace swa
