// What a reader sums while the bytes of one checksummed segment of a tensor go by: HDF5 stores
// a fletcher32 per chunk, a zip archive (.pt) a CRC-32 per entry. Each reader adds to the one
// its container stores; callers keep one per segment and merge the pieces their threads summed.
#pragma once
#include "formats/crc32.h"
#include "formats/fletcher32.h"

namespace swa {

struct SegmentChecksum {
  Fletcher32 fletcher32;
  Crc32 crc32;

  void merge(const SegmentChecksum& other) {
    fletcher32.merge(other.fletcher32);
    crc32.merge(other.crc32);
  }
};

}  // namespace swa
