// One swa-train per run folder: RUN_DIR/.lock is held (flock) for the run's life and names the
// holder's pid. The kernel drops the lock when the process ends however it ends (kill -9
// included), so a stale lock file never blocks a later run.
#pragma once
#include <string>

namespace swa {

class RunLock {
 public:
  // Throws InputError naming the other process's pid when the folder is in use.
  explicit RunLock(const std::string& run_dir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace swa
