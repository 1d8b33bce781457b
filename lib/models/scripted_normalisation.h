// The normalisation layers of a TorchScript module, found by their scripted class: scripting keeps
// the qualified name (__torch__.torch.nn.modules.batchnorm.BatchNorm2d, possibly with a
// ___torch_mangle_N component), not the class hierarchy, so isinstance-style checks do not work.
#pragma once
#include <torch/script.h>

#include <optional>
#include <string>
#include <vector>

namespace swa {

struct ScriptedBatchNorm {
  std::string name;  // the submodule's path, e.g. "features.1.conv.1"
  torch::jit::Module module;
  // Its momentum (a compile-time constant of the scripted class), or nullopt for momentum=None
  // (a cumulative average over num_batches_tracked).
  std::optional<double> momentum;
  torch::Tensor running_mean() const { return module.attr("running_mean").toTensor(); }
  torch::Tensor running_var() const { return module.attr("running_var").toTensor(); }
  torch::Tensor num_batches_tracked() const {
    return module.attr("num_batches_tracked").toTensor();
  }
};

struct NormalisationLayers {
  // torch's BatchNorm1d/2d/3d and SyncBatchNorm that track running statistics, in module order.
  std::vector<ScriptedBatchNorm> batchnorms;
  // Every other normalisation (a class named ...Norm or ...Norm1d/2d/3d: LayerNorm, GroupNorm,
  // InstanceNorm2d, FrozenBatchNorm2d, a BatchNorm without running statistics): "name (Class)".
  std::vector<std::string> left_alone;
};

NormalisationLayers normalisation_layers(const torch::jit::Module& model);

// The class name of a module, without its package: "BatchNorm2d".
std::string short_class_name(const torch::jit::Module& module);

}  // namespace swa
