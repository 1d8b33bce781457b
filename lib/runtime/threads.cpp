#include "lib/runtime/threads.h"

#include <torch/torch.h>

#include <cstdlib>
#include <thread>

namespace swa {

int set_compute_threads(int n) {
  if (n <= 0) {
    n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const char* local_ranks = std::getenv("LOCAL_WORLD_SIZE");
    if (local_ranks && std::atoi(local_ranks) > 1) n = std::max(1, n / std::atoi(local_ranks));
  }
  torch::set_num_threads(n);
  return n;
}

}  // namespace swa
