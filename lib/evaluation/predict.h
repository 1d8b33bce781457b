// Logits of a model over a set of images, on the fast inference path: c10::InferenceMode,
// BatchNorm folded into the convolutions, channels_last. The model is changed for inference
// (folded, moved to the device) and should not be saved afterwards.
#pragma once
#include <torch/torch.h>

#include "lib/distributed/ranks.h"
#include "lib/inference/engine_choice.h"
#include "lib/models/resnet.h"
#include "lib/runtime/measured_choice.h"

namespace swa {

// How the forward passes run (InferenceEngine, lib/inference/engine_choice.h): the frozen,
// inference-optimised TorchScript graph PyTorch's fastest path builds
// (lib/inference/frozen_resnet.h; CPU or CUDA), or our module (BatchNorm folded, channels_last),
// the reference. kAuto: the one measured faster on this machine and device (engine_choice.h: CPU
// and GPU alike); below float32 always the reference (under autocast).

struct PredictOptions {
  InferenceEngine engine = InferenceEngine::kAuto;
  int64_t batch_size = 500;
  torch::Device device = torch::kCPU;
  bool fold_batchnorm = true;
  bool channels_last = true;
  bool progress = true;
  // kBFloat16 / kHalf: autocast (lib/runtime/precision.h)
  torch::ScalarType precision = torch::kFloat;
  // Several ranks (lib/distributed/ranks.h; null: Ranks::process()): each runs the batches it
  // owns (batch b on rank b % size, so every image meets the same batch as in one process) and
  // all end with every logit; on the CPU rank 0 chooses the engine for all.
  const Ranks* ranks = nullptr;
};

struct Prediction {
  torch::Tensor logits;                                  // float32 [N, classes] on the CPU
  InferenceEngine engine = InferenceEngine::kReference;  // the one that ran
  ChoiceSource engine_source;                            // why (lib/runtime/measured_choice.h)
  EngineTiming timing;                                   // both engines' images/s, when measured
  double setup_seconds = 0;  // preparing the model: folding, the frozen graph, a GPU's warm-up
  double pass_seconds = 0;   // the forward pass over the images, on a GPU to its last kernel,
                             // with several ranks until every rank has every logit
};

// images: uint8 [N, 3, 32, 32] on any device. On a GPU one batch runs once before the timed
// pass (cuDNN's set-up and kernel loading belong to the set-up, as in any benchmark).
Prediction predict(ResNet& model, const torch::Tensor& images, const PredictOptions& options);
// predict(...).logits
torch::Tensor predict_logits(ResNet& model, const torch::Tensor& images,
                             const PredictOptions& options);

}  // namespace swa
