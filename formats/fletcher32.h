// HDF5's fletcher32 checksum (H5Z_FILTER_FLETCHER32), computed piecewise: the bytes of one
// checksummed chunk may be summed in pieces, in any order and on any thread, and the pieces
// added up before the final value is taken. Each piece must start at an even byte offset.
#pragma once
#include <cstdint>

namespace swa {

class Fletcher32 {
 public:
  // Adds bytes [offset, offset + n) of a chunk of `total` bytes; `offset` must be even.
  void add(const void* bytes, int64_t n, int64_t offset, int64_t total);
  void merge(const Fletcher32& other) {
    words_ += other.words_;
    weighted_ = (weighted_ + other.weighted_) % 65535;
  }
  // The value HDF5 stores after the chunk (little-endian uint32).
  uint32_t value() const;

 private:
  // Over the chunk's big-endian 16-bit words w_i, i < W: sum w_i (exact; 64 bits hold it for
  // chunks up to 2^48 bytes) and sum (W - i) w_i modulo 65535.
  uint64_t words_ = 0;
  uint64_t weighted_ = 0;
};

}  // namespace swa
