// For fuzz targets of readers that take a path: the input's bytes as a file with the name the
// target's format expects, in one per-process scratch file (rewritten for every input).
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "formats/input_error.h"
#include "formats/tensor_file.h"

namespace swa::fuzz {

inline std::string input_file(const uint8_t* data, size_t size, const char* extension) {
  const char* dir = std::getenv("TMPDIR");
  const std::string path = std::string(dir && *dir ? dir : "/tmp") + "/swa-fuzz-" +
                           std::to_string(::getpid()) + extension;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
  return path;
}

// Opens the file as the toolkit does and reads every tensor with its checksums verified, as
// swa-average would. Tensors larger than the file could ever hold uncompressed must have been
// refused by the reader (a reader that accepts them would allocate what the file claims).
inline void read_everything(const std::string& path, size_t file_size, bool may_compress) {
  try {
    const auto reader = open_tensor_file(path);
    (void)reader->meta();
    for (size_t i = 0; i < reader->layout().size(); ++i) {
      const int64_t n = reader->layout()[i].nbytes();
      if (n < 0) std::abort();
      if (!may_compress && static_cast<uint64_t>(n) > file_size) std::abort();
      if (n > (int64_t{64} << 20)) continue;  // a compressed HDF5 chunk may expand this far
      std::string bytes(static_cast<size_t>(n), '\0');
      reader->read_tensor(i, bytes.data());
    }
  } catch (const InputError&) {
    // refused with a message naming the file: the expected outcome for most inputs
  }
}

}  // namespace swa::fuzz
