// Runs work(0) .. work(n - 1) at once, work(0) on the calling thread, and rethrows the first
// failure after all have finished. Torch-free.
#pragma once
#include <exception>
#include <future>
#include <vector>

namespace swa {

template <typename Work>
void run_workers(int n, Work&& work) {
  std::vector<std::future<void>> others;
  for (int w = 1; w < n; ++w)
    others.push_back(std::async(std::launch::async, [&work, w] { work(w); }));
  std::exception_ptr failure;
  try {
    if (n > 0) work(0);
  } catch (...) {
    failure = std::current_exception();
  }
  for (auto& f : others) {
    try {
      f.get();
    } catch (...) {
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace swa
