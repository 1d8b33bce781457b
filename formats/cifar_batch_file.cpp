#include "formats/cifar_batch_file.h"

#include <filesystem>
#include <fstream>

#include "formats/input_error.h"

namespace swa {

void check_cifar_batch(const uint8_t* bytes, size_t size, const std::string& path) {
  if (size != static_cast<size_t>(kCifarBatchBytes)) {
    throw InputError(path, "is " + std::to_string(size) + " bytes, expected " +
                               std::to_string(kCifarBatchBytes) +
                               " (10,000 records of 1 label byte + 3,072 pixel bytes)");
  }
  for (int64_t r = 0; r < kCifarBatchImages; ++r) {
    const unsigned label = bytes[r * kCifarRecordBytes];
    if (label > 9) {
      throw InputError(path, "record " + std::to_string(r) + " has label " + std::to_string(label) +
                                 ", expected 0-9: not a CIFAR-10 file (CIFAR-100 has 2 label "
                                 "bytes)");
    }
  }
}

void read_cifar_batch(const std::string& path, uint8_t* dst, const std::string& hint) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw InputError(path, "missing CIFAR-10 batch file; " + hint);
  if (size != static_cast<uintmax_t>(kCifarBatchBytes)) {
    throw InputError(path, "is " + std::to_string(size) + " bytes, expected " +
                               std::to_string(kCifarBatchBytes) +
                               " (10,000 records of 1 label byte + 3,072 pixel bytes); " + hint);
  }
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(dst), kCifarBatchBytes);
  if (!in) throw InputError(path, "read error (the file shrank while being read?)");
  check_cifar_batch(dst, static_cast<size_t>(kCifarBatchBytes), path);
}

}  // namespace swa
