#include "formats/crc32.h"

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>

namespace swa {

uint32_t crc32_of(const void* bytes, uint64_t n) { return libdeflate_crc32(0, bytes, n); }

void Crc32::add(const void* bytes, int64_t n, int64_t offset) {
  if (n <= 0) return;
  pieces_.push_back({offset, n, libdeflate_crc32(0, bytes, static_cast<size_t>(n))});
}

void Crc32::merge(const Crc32& other) {
  pieces_.insert(pieces_.end(), other.pieces_.begin(), other.pieces_.end());
}

std::optional<uint32_t> Crc32::value(int64_t total) const {
  std::vector<Piece> sorted = pieces_;
  std::sort(sorted.begin(), sorted.end(),
            [](const Piece& a, const Piece& b) { return a.offset < b.offset; });
  uLong crc = 0;
  int64_t next = 0;
  for (const Piece& p : sorted) {
    if (p.offset != next) return std::nullopt;
    crc = crc32_combine(crc, p.crc, static_cast<z_off_t>(p.length));
    next += p.length;
  }
  if (next != total) return std::nullopt;
  return static_cast<uint32_t>(crc);
}

}  // namespace swa
