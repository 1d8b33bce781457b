// The c10d object a group's collectives run through, whichever the backend: a ProcessGroup in
// LibTorch 1.x, a Backend in 2.x (ProcessGroupGloo and ProcessGroupNCCL derive from it); both
// have the allreduce and broadcast calls lib/distributed/ranks.cpp makes.
#pragma once
#include <torch/version.h>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>

#if TORCH_VERSION_MAJOR >= 2
#include <torch/csrc/distributed/c10d/Backend.hpp>
#endif

namespace swa {

#if TORCH_VERSION_MAJOR >= 2
using Collectives = c10d::Backend;
#else
using Collectives = c10d::ProcessGroup;
#endif

// Whether this build has NCCL (a CUDA LibTorch with ProcessGroupNCCL's headers and nccl.h:
// CMakeLists.txt picks nccl_collectives.cpp or nccl_unavailable.cpp).
bool nccl_built();
// ProcessGroupNCCL over `store` for rank `rank` of `size`, on GPU `device` (made the current
// one). Only where nccl_built().
c10::intrusive_ptr<Collectives> nccl_collectives(const c10::intrusive_ptr<c10d::Store>& store,
                                                 int rank, int size,
                                                 std::chrono::milliseconds timeout,
                                                 c10::DeviceIndex device);

}  // namespace swa
