// A file opened for reading at offsets (pread), from any number of threads; closed when it goes.
// Every reader of the byte layer holds one per input: no library state, no mapping.
#pragma once
#include <cstdint>
#include <string>

namespace swa {

class ReadableFile {
 public:
  // Throws InputError "PATH: cannot open: <reason>".
  explicit ReadableFile(const std::string& path);
  ~ReadableFile();
  ReadableFile(const ReadableFile&) = delete;
  ReadableFile& operator=(const ReadableFile&) = delete;

  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }
  int descriptor() const { return fd_; }
  // Copies exactly n bytes at `offset` into dst. Throws InputError naming the file and `what`
  // (e.g. "tensor 'fc.bias'", "header") when the file ends first or the read fails.
  void read_exact(void* dst, uint64_t n, uint64_t offset, const std::string& what) const;

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// What `err` (an errno from open) means for the user: strerror's text, or for EMFILE what the
// open-file limit allows and how to raise it.
std::string open_error_text(int err);

// Raises the soft limit on open files to the hard limit (every tool does at start: an average
// keeps each input open) and returns the limit now in force.
int64_t raise_open_file_limit();
// The soft limit on open files now in force.
int64_t open_file_limit();

}  // namespace swa
