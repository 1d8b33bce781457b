// Logits of a model over a set of images, on the fast inference path: c10::InferenceMode,
// BatchNorm folded into the convolutions, channels_last. The model is changed for inference
// (folded, moved to the device) and should not be saved afterwards.
#pragma once
#include <torch/torch.h>

#include "lib/models/resnet.h"

namespace swa {

// How the forward passes run: the frozen, inference-optimised TorchScript graph PyTorch's fastest
// CPU path builds (lib/inference/frozen_resnet.h; CPU only), or our module (BatchNorm folded,
// channels_last), the reference. kAuto: frozen on the CPU, the reference on CUDA.
enum class InferenceEngine { kAuto, kFrozen, kReference };

struct PredictOptions {
  InferenceEngine engine = InferenceEngine::kAuto;
  int64_t batch_size = 500;
  torch::Device device = torch::kCPU;
  bool fold_batchnorm = true;
  bool channels_last = true;
  bool progress = true;
};

// images: uint8 [N, 3, 32, 32] on any device. Returns float32 logits [N, classes] on the CPU.
torch::Tensor predict_logits(ResNet& model, const torch::Tensor& images,
                             const PredictOptions& options);

}  // namespace swa
