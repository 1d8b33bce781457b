#include "lib/models/scripted_normalisation.h"

#include "lib/models/batchnorm_keys.h"

namespace swa {
namespace {

std::string last_component(const std::string& qualified) {
  const auto dot = qualified.rfind('.');
  return dot == std::string::npos ? qualified : qualified.substr(dot + 1);
}

bool tracks_running_stats(const torch::jit::Module& module) {
  const auto constant = module.type()->findConstant("track_running_stats");
  if (constant && constant->isBool() && !constant->toBool()) return false;
  return module.hasattr("running_mean") && module.attr("running_mean").isTensor() &&
         module.hasattr("running_var") && module.attr("running_var").isTensor();
}

std::optional<double> momentum_of(const torch::jit::Module& module) {
  const auto constant = module.type()->findConstant("momentum");
  if (!constant || constant->isNone()) return std::nullopt;
  return constant->toDouble();
}

// A normalisation's class name: ...Norm (LayerNorm, GroupNorm, RMSNorm, LocalResponseNorm) or
// ...Norm1d/2d/3d (InstanceNorm2d, FrozenBatchNorm2d); not Conv2dNormActivation and the like.
bool is_normalisation_class(const std::string& name) {
  auto ends_with = [&](const std::string& tail) {
    return name.size() >= tail.size() &&
           name.compare(name.size() - tail.size(), tail.size(), tail) == 0;
  };
  return ends_with("Norm") || ends_with("Norm1d") || ends_with("Norm2d") || ends_with("Norm3d");
}

}  // namespace

std::string short_class_name(const torch::jit::Module& module) {
  return last_component(module.type()->name()->qualifiedName());
}

NormalisationLayers normalisation_layers(const torch::jit::Module& model) {
  NormalisationLayers out;
  for (const auto& item : model.named_modules()) {
    const std::string qualified = item.value.type()->name()->qualifiedName();
    const std::string cls = last_component(qualified);
    if (is_batchnorm_class(qualified) && tracks_running_stats(item.value)) {
      out.batchnorms.push_back({item.name, item.value, momentum_of(item.value)});
    } else if (is_normalisation_class(cls)) {
      out.left_alone.push_back((item.name.empty() ? "(the model)" : item.name) + " (" + cls + ")");
    }
  }
  return out;
}

}  // namespace swa
