// A zip archive written entry by entry with minizip, as torch.save lays it out: entries stored
// (not compressed), each entry's data starting on a 64-byte boundary (a padding extra field, as
// PyTorch's own writer pads, so a reader can map storages in place), zip64 where an entry or its
// offset passes 4 GiB, and no timestamps: the same entries give the same bytes.
// Requires: entries are begun, written and ended one at a time, then finish() once.
// Ensures: errors (a full disk included) throw InputError naming `display_path` and the reason.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

namespace swa {

struct ZipSink;  // the file minizip writes to (zip_writer.cpp)

class ZipWriter {
 public:
  // Writes to the already created file `path`; messages name `display_path`.
  ZipWriter(const std::string& path, const std::string& display_path);
  ~ZipWriter();
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;

  void begin_entry(const std::string& name, uint64_t size);
  void write(const void* bytes, uint64_t n);
  void end_entry();
  // A whole small entry.
  void add(const std::string& name, const std::string& bytes);
  // Writes the directory and closes the file.
  void finish();
  // Where the next entry's data would start if it began now (for tests: alignment).
  uint64_t position() const;

 private:
  [[noreturn]] void fail(const std::string& what) const;
  std::unique_ptr<ZipSink> sink_;
  void* zip_ = nullptr;
  std::string display_path_;
  uint64_t expected_ = 0, written_ = 0;
};

constexpr uint64_t kZipDataAlignment = 64;

}  // namespace swa
