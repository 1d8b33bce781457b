#include "lib/averaging/input_digests.h"

#include <algorithm>
#include <atomic>

#include "formats/file_digest.h"
#include "lib/runtime/run_workers.h"

namespace swa {

std::vector<std::string> input_digests(const std::vector<std::string>& paths,
                                       const std::vector<FileIdentity>& opened, int threads,
                                       const DigestCache& cache) {
  std::vector<std::string> out(paths.size());
  std::vector<size_t> todo;
  for (size_t i = 0; i < paths.size(); ++i) {
    if (auto known = cache.find(opened[i])) {
      out[i] = *known;
    } else {
      todo.push_back(i);
    }
  }
  std::atomic<size_t> next{0};
  run_workers(static_cast<int>(std::min(todo.size(), static_cast<size_t>(std::max(threads, 1)))),
              [&](int) {
                for (size_t k = next++; k < todo.size(); k = next++) {
                  const size_t i = todo[k];
                  out[i] = sha256_file(paths[i]);
                  if (identity_of(paths[i]) == opened[i]) cache.store(opened[i], out[i]);
                }
              });
  return out;
}

}  // namespace swa
