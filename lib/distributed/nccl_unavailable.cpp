// lib/distributed/collectives.h in builds without NCCL (Debian's LibTorch is CPU-only).
#include <stdexcept>

#include "lib/distributed/collectives.h"

namespace swa {

bool nccl_built() { return false; }

c10::intrusive_ptr<Collectives> nccl_collectives(const c10::intrusive_ptr<c10d::Store>&, int, int,
                                                 std::chrono::milliseconds, c10::DeviceIndex) {
  throw std::logic_error("nccl_collectives called in a build without NCCL (check nccl_built())");
}

}  // namespace swa
