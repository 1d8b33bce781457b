// Progress of a long pass on stderr: a redrawn bar on a terminal, a few plain lines otherwise
// (logs in CI stay short).
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace swa {

class Progress {
 public:
  Progress(std::string label, int64_t total, bool enabled = true);
  void advance(int64_t n);
  void finish();
  ~Progress();

 private:
  void draw(bool final);
  std::string label_;
  int64_t total_, done_ = 0;
  bool enabled_, tty_, finished_ = false;
  int last_quarter_ = 0;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace swa
