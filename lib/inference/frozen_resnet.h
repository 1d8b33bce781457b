// A ResNet as the graph PyTorch's fastest CPU inference path runs:
// torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.script(model))). The model's
// forward pass is written out as TorchScript over its weights, then frozen (weights become
// constants, BatchNorm is folded into the convolutions) and optimised for inference (on CPUs with
// oneDNN: weights prepacked in oneDNN's blocked layout, convolution + add + ReLU fused,
// activations kept in oneDNN's layout between layers; on CUDA: convolution + add + ReLU fused
// where cuDNN can). The same graph PyTorch builds, from C++, on the model's device.
#pragma once
#include <torch/script.h>
#include <torch/torch.h>

#include "lib/models/resnet.h"

namespace swa {

class FrozenResNet {
 public:
  // Takes the model's current weights and BatchNorm statistics (any device, any layout).
  explicit FrozenResNet(ResNetImpl& model);
  // x: normalised float32 images [N, 3, H, W]. Returns float32 logits [N, classes].
  torch::Tensor forward(const torch::Tensor& x);
  // The TorchScript source the graph was compiled from (for tests and curious readers).
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  torch::jit::Module module_;
};

}  // namespace swa
