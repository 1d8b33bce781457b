#include "lib/runtime/device.h"

#include "formats/input_error.h"

namespace swa {

torch::Device resolve_device(const std::string& name) {
  if (name == "auto")
    return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::kCPU;
  if (name == "cpu") return torch::kCPU;
  if (name.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available()) {
      throw InputError("--device " + name +
                       ": no CUDA device available to this build of the "
                       "toolkit (Debian's LibTorch is CPU-only; build against a CUDA LibTorch)");
    }
    try {
      return torch::Device(name);
    } catch (const c10::Error&) {
      throw InputError("--device: '" + name + "' is not a device (expected cpu, cuda or cuda:N)");
    }
  }
  throw InputError("--device: '" + name + "' is not a device (expected auto, cpu, cuda or cuda:N)");
}

}  // namespace swa
