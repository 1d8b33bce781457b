#include "formats/tensor_rows.h"

#include <algorithm>
#include <cstring>

#include "formats/input_error.h"

namespace swa {

TensorRows::TensorRows(const TensorFileReader& file, size_t index)
    : file_(file), index_(index), ends_(file.segment_ends(index)) {
  const StoredTensor& t = file.layout().at(index);
  if (t.shape.empty()) throw InputError(file.path(), t.key, "a scalar has no rows");
  rows_ = t.shape[0];
  row_bytes_ = rows_ > 0 ? t.nbytes() / rows_ : 0;
}

void TensorRows::read(int64_t begin, int64_t end, void* dst) {
  if (begin < 0 || end > rows_ || begin > end)
    throw std::logic_error("TensorRows::read outside the tensor");
  const int64_t first = begin * row_bytes_, last = end * row_bytes_;
  auto* out = static_cast<unsigned char*>(dst);
  for (size_t s = 0; s < ends_.size(); ++s) {
    const int64_t lo = std::max(first, segment_begin(s)), hi = std::min(last, ends_[s]);
    if (lo < hi) read_piece(s, lo, hi - lo, out + (lo - first));
  }
}

void TensorRows::read_piece(size_t s, int64_t first, int64_t n, unsigned char* dst) {
  const int64_t seg_begin = segment_begin(s), seg_end = ends_[s];
  if (!file_.reads_any_range()) {
    if (cached_segment_ != s) {
      cached_.resize(static_cast<size_t>(seg_end - seg_begin));
      SegmentChecksum sum;
      file_.read_range(index_, seg_begin, seg_end - seg_begin, cached_.data(), sum);
      file_.verify_segment(index_, s, sum);
      cached_segment_ = s;
    }
    std::memcpy(dst, cached_.data() + (first - seg_begin), static_cast<size_t>(n));
    return;
  }
  SegmentChecksum piece;
  file_.read_range(index_, first, n, dst, piece);
  if (first == 0) {  // a new pass from the start
    verified_to_ = 0;
    running_ = SegmentChecksum{};
  }
  if (first != verified_to_) return;  // out of order: not verified
  running_.merge(piece);
  verified_to_ = first + n;
  if (verified_to_ == seg_end) {
    file_.verify_segment(index_, s, running_);
    running_ = SegmentChecksum{};
  }
}

}  // namespace swa
