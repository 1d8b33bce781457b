// The ResNet family with torchvision's module structure: state_dict keys, shapes, dtypes and
// order equal torchvision.models.resnet{18,...,152}(num_classes=N) for the imagenet stem.
// Initialisation follows torchvision (Kaiming-normal fan_out convs, BN weight 1 / bias 0).
#pragma once
#include <torch/torch.h>

#include <unordered_map>

#include "lib/models/architecture.h"

namespace swa {

class Ranks;

// How the layers run, shared by the model and its blocks. Where training-mode BatchNorm takes its
// statistics: this process's batch (BatchNorm2d), or, with ranks set, every rank's batch together
// (SyncBatchNorm, lib/distributed/sync_batchnorm.h). And each convolution's weights in oneDNN's
// layout, while ResNetImpl::prepack_for_onednn() holds them.
struct ForwardSettings {
  const Ranks* ranks = nullptr;
  std::unordered_map<const torch::nn::Conv2dImpl*, torch::Tensor> onednn_weights;
};

class ResNetImpl : public torch::nn::Module {
 public:
  ResNetImpl(const ResNetSpec& spec, int64_t num_classes);
  torch::Tensor forward(torch::Tensor x);
  const ResNetSpec& spec() const { return spec_; }
  // For inference only: folds every BatchNorm into the convolution before it (using the running
  // statistics) and skips the BatchNorms from then on. Predictions stay the same up to rounding.
  void fold_batchnorm();
  bool folded() const { return folded_; }
  int64_t num_classes() const { return num_classes_; }
  // Training-mode BatchNorm over all ranks' batches (null: this process's own, the default).
  void synchronize_batchnorm(const Ranks* ranks) { settings_->ranks = ranks; }
  // For passes without gradients on the CPU (the BatchNorm statistics pass, train mode): every
  // convolution's weights reordered once into oneDNN's blocked layout ("prepacked", as
  // torch.utils.mkldnn does), so that forward, given an input made with .to_mkldnn(), keeps the
  // activations in that layout from layer to layer and never reorders a weight again; the logits
  // come back dense. The weights must not change until drop_onednn_weights(). Not for a folded
  // model.
  void prepack_for_onednn();
  void drop_onednn_weights() { settings_->onednn_weights.clear(); }

 private:
  torch::nn::Sequential make_stage(int64_t planes, int blocks, int64_t stride);

  ResNetSpec spec_;
  std::shared_ptr<ForwardSettings> settings_ = std::make_shared<ForwardSettings>();  // and blocks'
  bool folded_ = false;
  int64_t num_classes_;
  int64_t inplanes_;
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(ResNet);

ResNet make_resnet(const std::string& arch, int64_t num_classes);

// Stores every 4-d parameter and buffer channels_last: the fast layout for CPU convolutions.
void use_channels_last(torch::nn::Module& module);

}  // namespace swa
