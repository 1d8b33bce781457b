// CRC-32 as zip stores it per entry, computed piecewise: pieces of one entry may be summed in
// any order and on any thread, merged, and joined in offset order when the value is taken.
// Pieces run through libdeflate (carry-less multiply where the CPU has it, ~10 GB/s) and are
// joined with zlib's crc32_combine.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

namespace swa {

// The CRC-32 of n bytes in one call.
uint32_t crc32_of(const void* bytes, uint64_t n);

class Crc32 {
 public:
  // Adds bytes [offset, offset + n) of an entry.
  void add(const void* bytes, int64_t n, int64_t offset);
  void merge(const Crc32& other);
  // The CRC-32 of bytes [0, total) when the pieces cover exactly that range, else nullopt.
  std::optional<uint32_t> value(int64_t total) const;

 private:
  struct Piece {
    int64_t offset, length;
    uint32_t crc;
  };
  std::vector<Piece> pieces_;
};

}  // namespace swa
