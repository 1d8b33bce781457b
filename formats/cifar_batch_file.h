// CIFAR-10's binary batch files as bytes (torch-free, so they can be fuzzed and checked alone):
// 10,000 records of one label byte (0-9) and 3,072 pixel bytes (red, green, blue planes of 32x32).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace swa {

constexpr int64_t kCifarBatchImages = 10000;
constexpr int64_t kCifarRecordBytes = 1 + 3 * 32 * 32;
constexpr int64_t kCifarBatchBytes = kCifarBatchImages * kCifarRecordBytes;

// Throws InputError naming `path` unless `bytes` are one whole batch whose labels are 0-9
// ("record 17 has label 200: not a CIFAR-10 file (CIFAR-100 has 2 label bytes)").
void check_cifar_batch(const uint8_t* bytes, size_t size, const std::string& path);

// Reads the batch at `path` into `dst` (kCifarBatchBytes bytes) and checks it. The size is
// checked before anything is read, so a wrong file costs a stat, whatever its size. `hint` ends
// the message of a missing or wrongly sized file (where to get the real one).
void read_cifar_batch(const std::string& path, uint8_t* dst, const std::string& hint);

}  // namespace swa
