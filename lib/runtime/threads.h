// Debian's LibTorch starts with one intra-op thread: every computing tool sets it explicitly.
#pragma once

namespace swa {

// n <= 0 means all cores, shared among the ranks on this machine (LOCAL_WORLD_SIZE, set by
// torchrun and swa-launch). Returns the number of threads in use.
int set_compute_threads(int n);

}  // namespace swa
