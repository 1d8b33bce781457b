#include "lib/runtime/precision.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "formats/input_error.h"
#include "lib/runtime/dtype_names.h"

// LibTorch 2.4 made autocast's switches per device type; 1.13 has one pair for CUDA, one for CPU.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define SWA_AUTOCAST_PER_DEVICE 1
#else
#define SWA_AUTOCAST_PER_DEVICE 0
#endif

namespace swa {
namespace {

void set_autocast(torch::DeviceType device, bool enabled, torch::ScalarType type) {
#if SWA_AUTOCAST_PER_DEVICE
  at::autocast::set_autocast_dtype(device, type);
  at::autocast::set_autocast_enabled(device, enabled);
#else
  if (device == torch::kCUDA) {
    at::autocast::set_autocast_gpu_dtype(type);
    at::autocast::set_enabled(enabled);
  } else {
    at::autocast::set_autocast_cpu_dtype(type);
    at::autocast::set_cpu_enabled(enabled);
  }
#endif
}

}  // namespace

void check_precision_runs_on(torch::ScalarType type, const torch::Device& device,
                             const std::string& flag) {
  if (type == torch::kHalf && !device.is_cuda())
    throw InputError(flag + " fp16 needs a CUDA device (on the CPU use " + flag + " bf16)");
}

torch::ScalarType parse_precision(const std::string& name, const std::string& flag) {
  switch (floating_type_named(name).value_or(ElementType::kInt8)) {
    case ElementType::kFloat32:
      return torch::kFloat;
    case ElementType::kBFloat16:
      return torch::kBFloat16;
    case ElementType::kFloat16:
      return torch::kHalf;
    default:
      throw InputError(flag + ": '" + name + "' is not a precision (expected " +
                       dtype_names_help() + ")");
  }
}

AutocastScope::AutocastScope(torch::Device device, torch::ScalarType type)
    : device_(device.type()), active_(type != torch::kFloat) {
  if (!active_) return;
  set_autocast(device_, true, type);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  // As Python's autocast.__exit__: the cast copies of the weights live until the outermost exit.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_autocast(device_, false, device_ == torch::kCUDA ? torch::kHalf : torch::kBFloat16);
}

}  // namespace swa
