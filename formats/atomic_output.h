// An output file that appears under its final name complete or not at all.
// Requires: the destination folder exists and is writable (checked in the constructor).
// Ensures: data goes to a unique temporary file (created empty) in the same folder; commit()
// flushes it to disk and renames it over the final name; destruction without commit() removes the
// temporary file, and so does a signal that ends the process (see remove_temporary_outputs).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace swa {

class AtomicOutput {
 public:
  explicit AtomicOutput(const std::string& final_path);
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  const std::string& temp_path() const { return temp_path_; }
  const std::string& final_path() const { return final_path_; }
  // Sets aside `bytes` of disk for the temporary file before anything is written, so a full disk
  // is an error naming the file up front ("no space left on device: needs ... MB, ... MB free")
  // rather than a failure halfway through a writer that may not recover from one (HDF5). File
  // systems without fallocate are left as they are.
  void reserve(int64_t bytes);
  // fsync the temporary file (once).
  void flush();
  // flush(), then rename the temporary file to the final name.
  void commit();

 private:
  std::string final_path_;
  std::string temp_path_;
  int slot_ = -1;  // in the registry of live temporary files
  bool reserved_ = false;
  bool flushed_ = false;
  bool committed_ = false;
};

// Throws InputError unless `path`'s folder exists and is writable.
void require_writable_folder(const std::string& path);

// Unlinks every temporary file of a live AtomicOutput. Async-signal-safe: for signal handlers
// (tools/common/run_tool.cpp) that end the process without running destructors.
void remove_temporary_outputs();

// For the same handlers: true when a group of files (write_files_atomically) is being renamed
// into place; the signal is then raised again as soon as the last one is, so a report is never
// left half old, half new. Async-signal-safe.
bool defer_signal_during_group_commit(int signal);

}  // namespace swa

namespace swa {

// Writes `text` to `path` through an AtomicOutput. Throws InputError naming the file on failure.
void write_file_atomically(const std::string& path, const std::string& text);

// Several files that belong together (a report): every one is written to its temporary file
// before the first is renamed into place, so a failure or a signal leaves none of them half done
// and, short of a signal in the instant of the renames, none of them new.
void write_files_atomically(const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace swa
