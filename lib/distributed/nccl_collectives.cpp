// NCCL for lib/distributed/collectives.h: compiled only in CUDA builds of LibTorch 2.x that ship
// ProcessGroupNCCL's headers, with nccl.h found (the GPU machine's PyTorch wheel carries it).
#define USE_C10D_NCCL 1  // ProcessGroupNCCL.hpp declares nothing without it
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>

#include "lib/distributed/collectives.h"

namespace swa {

bool nccl_built() { return true; }

c10::intrusive_ptr<Collectives> nccl_collectives(const c10::intrusive_ptr<c10d::Store>& store,
                                                 int rank, int size,
                                                 std::chrono::milliseconds timeout,
                                                 c10::DeviceIndex device) {
  c10::cuda::set_device(device);
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, options);
}

}  // namespace swa
