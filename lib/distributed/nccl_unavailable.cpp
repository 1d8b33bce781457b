// lib/distributed/collectives.h in builds without NCCL (Debian's LibTorch is CPU-only).
#include "formats/input_error.h"
#include "lib/distributed/collectives.h"

namespace swa {

bool nccl_built() { return false; }

c10::intrusive_ptr<Collectives> nccl_collectives(const c10::intrusive_ptr<c10d::Store>&, int, int,
                                                 std::chrono::milliseconds, c10::DeviceIndex) {
  throw InputError(
      "--dist-backend nccl: this build has no NCCL (it needs a CUDA LibTorch; Debian's is "
      "CPU-only); use gloo, which also carries CUDA tensors (through host memory)");
}

}  // namespace swa
