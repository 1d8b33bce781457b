// Reduced precision, opt-in: --amp (swa-train) and --precision (swa-eval) take the dtype names
// of lib/runtime/dtype_names.h (fp32, bf16, fp16). Lower precision runs under autocast, as Python's
// `with torch.autocast(device_type, dtype)`: matrix products and convolutions in the lower type,
// reductions, losses and BatchNorm statistics in float32; the weights stay float32.
#pragma once
#include <torch/torch.h>

#include <string>

namespace swa {

// kFloat, kBFloat16 or kHalf; throws InputError naming `flag` for any other name.
torch::ScalarType parse_precision(const std::string& name, const std::string& flag);
// Throws InputError naming `flag` where `type` has no autocast on `device` (LibTorch's CPU
// autocast takes bfloat16 only: fp16 needs a CUDA device).
void check_precision_runs_on(torch::ScalarType type, const torch::Device& device,
                             const std::string& flag);

// Autocast to `type` on `device` for the scope (kFloat: nothing changes). Not nestable with
// another AutocastScope of the same device.
class AutocastScope {
 public:
  AutocastScope(torch::Device device, torch::ScalarType type);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  torch::DeviceType device_;
  bool active_ = false;
};

}  // namespace swa
