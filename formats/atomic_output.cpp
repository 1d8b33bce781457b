#include "formats/atomic_output.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "formats/input_error.h"

namespace swa {
namespace fs = std::filesystem;

namespace {

// Live temporary files, for remove_temporary_outputs() in a signal handler: fixed slots of
// fixed-size paths, claimed and released with atomics (no allocation, no locks).
constexpr int kSlots = 64;
constexpr size_t kMaxPath = 4096;
struct TemporarySlot {
  std::atomic<int> state{0};  // 0 free, 1 being filled, 2 live
  char path[kMaxPath];
};
std::array<TemporarySlot, kSlots>& temporary_slots() {
  static std::array<TemporarySlot, kSlots> slots;
  return slots;
}

// Claims a slot holding `name_template` (mkstemp's "...XXXXXX"), live before the file exists:
// the caller creates the file with mkstemp on the slot's own buffer, so a signal at any instant
// finds the file's name there (or the template, which names no file). -1: no slot free.
int register_temporary(const std::string& name_template) {
  if (name_template.size() >= kMaxPath) return -1;
  for (int i = 0; i < kSlots; ++i) {
    auto& slot = temporary_slots()[static_cast<size_t>(i)];
    int expected = 0;
    if (slot.state.compare_exchange_strong(expected, 1)) {
      std::memcpy(slot.path, name_template.c_str(), name_template.size() + 1);
      slot.state.store(2);
      return i;
    }
  }
  return -1;  // more than kSlots outputs at once: that one is only removed by its destructor
}

// 0: no group being renamed into place; 1: one is; 2 + N: one is and signal N waits for it.
std::atomic<int> group_commit{0};

// Files take the permissions open() would give them (0666 less the umask), not mkstemp's 0600.
mode_t output_mode() {
  static const mode_t mode = [] {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    return static_cast<mode_t>(0666 & ~mask);
  }();
  return mode;
}

void release_temporary(int slot) {
  if (slot >= 0) temporary_slots()[static_cast<size_t>(slot)].state.store(0);
}

std::string megabytes(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", bytes / 1e6);
  return text;
}

}  // namespace

bool defer_signal_during_group_commit(int signal) {
  int state = 1;
  if (group_commit.compare_exchange_strong(state, 2 + signal)) return true;
  return state >= 2;  // one is already waiting
}

void remove_temporary_outputs() {
  for (auto& slot : temporary_slots()) {
    if (slot.state.load() == 2) ::unlink(slot.path);
  }
}

void require_writable_folder(const std::string& path) {
  fs::path folder = fs::path(path).parent_path();
  if (folder.empty()) folder = ".";
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    throw InputError(path, "output folder '" + folder.string() + "' does not exist");
  }
  if (::access(folder.c_str(), W_OK) != 0) {
    throw InputError(path, "output folder '" + folder.string() + "' is not writable");
  }
}

AtomicOutput::AtomicOutput(const std::string& final_path) : final_path_(final_path) {
  require_writable_folder(final_path);
  // mkstemp picks a unique name and creates the file atomically, in the destination folder so
  // that the final rename stays on one file system.
  fs::path p(final_path);
  std::string temp = (p.parent_path() / ("." + p.filename().string() + ".tmp-XXXXXX")).string();
  slot_ = register_temporary(temp);
  char* name = slot_ >= 0 ? temporary_slots()[static_cast<size_t>(slot_)].path : temp.data();
  int fd = ::mkstemp(name);
  if (fd < 0) {
    const int error = errno;
    release_temporary(slot_);
    throw InputError(final_path,
                     std::string("cannot create a temporary file: ") + std::strerror(error));
  }
  (void)::fchmod(fd, output_mode());
  ::close(fd);
  temp_path_ = name;
}

AtomicOutput::~AtomicOutput() {
  if (!committed_) std::remove(temp_path_.c_str());
  release_temporary(slot_);
}

void AtomicOutput::reserve(int64_t bytes) {
  if (bytes <= 0) return;
  const int fd = ::open(temp_path_.c_str(), O_WRONLY);
  if (fd < 0) {
    throw InputError(final_path_,
                     std::string("cannot open the temporary file: ") + std::strerror(errno));
  }
  // KEEP_SIZE: the blocks are set aside without changing the file's size, so writers that
  // truncate or check the size (HDF5) see the empty file they created.
  const int rc = ::fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, bytes);
  const int err = rc == 0 ? 0 : errno;
  ::close(fd);
  if (rc == 0) {
    reserved_ = true;
    return;
  }
  if (err == ENOSPC || err == EDQUOT) {
    struct statvfs fsinfo {};
    const fs::path folder = fs::path(final_path_).parent_path().empty()
                                ? fs::path(".")
                                : fs::path(final_path_).parent_path();
    std::string free_space;
    if (::statvfs(folder.c_str(), &fsinfo) == 0) {
      free_space =
          ", " +
          megabytes(static_cast<double>(fsinfo.f_bavail) * static_cast<double>(fsinfo.f_frsize)) +
          " free";
    }
    throw InputError(final_path_, std::string(std::strerror(err)) + ": the output needs about " +
                                      megabytes(static_cast<double>(bytes)) + free_space);
  }
  if (err == EFBIG) {
    throw InputError(final_path_, std::string(std::strerror(err)) + ": the output needs about " +
                                      megabytes(static_cast<double>(bytes)));
  }
  // EOPNOTSUPP, ENOSYS, EINVAL: a file system without fallocate; writes report a full disk.
}

void AtomicOutput::flush() {
  if (flushed_) return;
  if (reserved_) {
    // Give back what was set aside beyond the data (truncating to the same size frees blocks
    // allocated past the end).
    std::error_code ec;
    const auto size = fs::file_size(temp_path_, ec);
    if (!ec) (void)::truncate(temp_path_.c_str(), static_cast<off_t>(size));
  }
  int fd = ::open(temp_path_.c_str(), O_RDONLY);
  if (fd < 0 || ::fsync(fd) != 0) {
    int err = errno;
    if (fd >= 0) ::close(fd);
    throw InputError(final_path_,
                     std::string("cannot flush output to disk: ") + std::strerror(err));
  }
  ::close(fd);
  flushed_ = true;
}

void AtomicOutput::commit() {
  flush();
  if (std::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    throw InputError(final_path_, std::string("cannot rename temporary output into place: ") +
                                      std::strerror(errno));
  }
  committed_ = true;
  release_temporary(slot_);
  slot_ = -1;
}

}  // namespace swa

namespace swa {

namespace {

void write_text(const AtomicOutput& out, const std::string& text) {
  std::ofstream f(out.temp_path(), std::ios::binary);
  f << text;
  f.close();
  if (!f) throw InputError(out.final_path(), std::string("cannot write: ") + std::strerror(errno));
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& text) {
  AtomicOutput out(path);
  write_text(out, text);
  out.commit();
}

void write_files_atomically(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<std::unique_ptr<AtomicOutput>> outputs;
  for (const auto& [path, text] : files) {
    outputs.push_back(std::make_unique<AtomicOutput>(path));
    write_text(*outputs.back(), text);
  }
  for (auto& out : outputs) out->flush();
  group_commit.store(1);
  try {
    for (auto& out : outputs) out->commit();
  } catch (...) {
    group_commit.store(0);
    throw;
  }
  if (const int waiting = group_commit.exchange(0); waiting >= 2) ::raise(waiting - 2);
}

}  // namespace swa
