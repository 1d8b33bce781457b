#include "lib/runtime/progress.h"

#include <unistd.h>

#include <cstdio>

namespace swa {

Progress::Progress(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)),
      total_(total > 0 ? total : 1),
      enabled_(enabled),
      tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() {
  if (!finished_ && tty_ && enabled_ && done_ > 0) std::fputc('\n', stderr);
}

void Progress::advance(int64_t n) {
  done_ += n;
  if (!enabled_) return;
  if (tty_) {
    draw(false);
  } else {
    const int quarter = static_cast<int>(4 * done_ / total_);
    if (quarter > last_quarter_ && done_ < total_) {
      last_quarter_ = quarter;
      draw(false);
    }
  }
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (enabled_) draw(true);
}

void Progress::draw(bool final) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(done_) / seconds : 0.0;
  const int pct = static_cast<int>(100 * done_ / total_);
  if (tty_) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(kWidth * done_ / total_);
    std::fprintf(stderr, "\r%s [%.*s%*s] %3d%% %lld/%lld %.0f/s", label_.c_str(), filled,
                 "##############################", kWidth - filled, "", pct,
                 static_cast<long long>(done_), static_cast<long long>(total_), rate);
    if (final) std::fprintf(stderr, " %.1fs\n", seconds);
  } else {
    std::fprintf(stderr, "%s: %d%% (%lld/%lld, %.0f/s, %.1fs)\n", label_.c_str(), pct,
                 static_cast<long long>(done_), static_cast<long long>(total_), rate, seconds);
  }
  std::fflush(stderr);
}

}  // namespace swa
