// Rows of one stored tensor ([N, ...]) read by offset, a batch at a time, so a data set larger
// than memory is never held whole. Read in order, each checksummed segment (an HDF5 chunk, a zip
// entry) is verified once its last byte has gone by; rows read out of order are not verified.
// Containers that decode only whole segments (compressed HDF5: the whole tensor) keep the
// segment last decoded.
#pragma once
#include <cstdint>
#include <vector>

#include "formats/segment_checksum.h"
#include "formats/tensor_file.h"

namespace swa {

class TensorRows {
 public:
  // `index` names a tensor of `file` with at least one dimension; `file` outlives this.
  TensorRows(const TensorFileReader& file, size_t index);
  int64_t rows() const { return rows_; }
  int64_t row_bytes() const { return row_bytes_; }
  // Copies rows [begin, end) into dst (row_bytes() each). Throws InputError naming the file and
  // tensor when they cannot be read or a segment fails its checksum.
  void read(int64_t begin, int64_t end, void* dst);

 private:
  void read_piece(size_t segment, int64_t first, int64_t n, unsigned char* dst);
  int64_t segment_begin(size_t segment) const { return segment == 0 ? 0 : ends_[segment - 1]; }

  const TensorFileReader& file_;
  size_t index_;
  int64_t rows_ = 0, row_bytes_ = 0;
  std::vector<int64_t> ends_;  // of the checksummed segments
  // In-order reading: the byte the checksums have reached, and the sum of its segment so far.
  int64_t verified_to_ = 0;
  SegmentChecksum running_;
  // Whole-segment containers: the segment last decoded.
  std::vector<unsigned char> cached_;
  size_t cached_segment_ = static_cast<size_t>(-1);
};

}  // namespace swa
