// HDF5 sums big-endian 16-bit words (an odd last byte is the high half of a word) into
// sum1 = sum w_i and sum2 = sum (W - i) w_i, both reduced with end-around carry: a value in
// 1..0xffff congruent mod 65535, 0 only when every word so far was 0. Sums of pieces are
// independent of each other: a piece at word offset o of length L adds sum w and
// (W - o - L) * sum w + sum (L - j) w_j. sum1 is kept exact (it says whether all words were
// zero), sum2 modulo 65535.
#include "formats/fletcher32.h"

#include <algorithm>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace swa {
namespace {

uint32_t end_around_carry(uint64_t s) {
  return s == 0 ? 0 : static_cast<uint32_t>((s - 1) % 65535 + 1);
}

// Sums of a block of at most 256 whole words, in 32-bit lanes: sum w_j and sum (n - j) w_j.
inline void sum_block_scalar(const uint8_t* p, uint32_t n_words, uint64_t& plain,
                             uint64_t& weighted) {
  uint32_t a = 0, b = 0;
  for (uint32_t j = 0; j < n_words; ++j) {
    const uint32_t w = (uint32_t{p[2 * j]} << 8) | p[2 * j + 1];
    a += w;
    b += (n_words - j) * w;
  }
  plain = a;
  weighted = b;
}

#if defined(__SSE2__)
// SSE2 (every x86-64): 8 words per step. Lane sums A (per word position k) and B (the A of every
// earlier step, summed) give sum (n - j) w_j = 8 * sum(B) + sum_k (8 - k) A_k for n = 8 * steps.
// At most 256 steps keep every lane below 2^32.
inline void sum_steps_sse2(const uint8_t* p, uint32_t steps, uint64_t& plain, uint64_t& weighted) {
  const __m128i zero = _mm_setzero_si128();
  __m128i a_lo = zero, a_hi = zero, b_lo = zero, b_hi = zero;
  for (uint32_t s = 0; s < steps; ++s) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * s));
    x = _mm_or_si128(_mm_slli_epi16(x, 8), _mm_srli_epi16(x, 8));  // big-endian words
    b_lo = _mm_add_epi32(b_lo, a_lo);
    b_hi = _mm_add_epi32(b_hi, a_hi);
    a_lo = _mm_add_epi32(a_lo, _mm_unpacklo_epi16(x, zero));
    a_hi = _mm_add_epi32(a_hi, _mm_unpackhi_epi16(x, zero));
  }
  alignas(16) uint32_t a[8], b[8];
  _mm_store_si128(reinterpret_cast<__m128i*>(a), a_lo);
  _mm_store_si128(reinterpret_cast<__m128i*>(a + 4), a_hi);
  _mm_store_si128(reinterpret_cast<__m128i*>(b), b_lo);
  _mm_store_si128(reinterpret_cast<__m128i*>(b + 4), b_hi);
  uint64_t sum_a = 0, sum_b = 0, within = 0;
  for (int k = 0; k < 8; ++k) {
    sum_a += a[k];
    sum_b += b[k];
    within += uint64_t(8 - k) * a[k];
  }
  plain = sum_a;
  weighted = 8 * sum_b + within;
}
#endif

}  // namespace

void Fletcher32::add(const void* bytes, int64_t n, int64_t offset, int64_t total) {
  const auto* p = static_cast<const uint8_t*>(bytes);
  const uint64_t total_words = static_cast<uint64_t>((total + 1) / 2);
  uint64_t word = static_cast<uint64_t>(offset / 2);
  uint64_t words = 0, weighted = 0;  // of this piece, relative to its own end
  int64_t left = n;
  while (left >= 2) {
    uint64_t a, b;
    uint32_t block;
#if defined(__SSE2__)
    if (left >= 16) {
      const auto steps = static_cast<uint32_t>(std::min<int64_t>(left / 16, 256));
      block = 8 * steps;
      sum_steps_sse2(p, steps, a, b);
    } else
#endif
    {
      block = static_cast<uint32_t>(std::min<int64_t>(left / 2, 256));
      sum_block_scalar(p, block, a, b);
    }
    weighted = (weighted + uint64_t{block} * words + b) % 65535;
    words += a;
    p += 2 * block;
    left -= 2 * block;
    word += block;
  }
  if (left == 1) {  // the chunk's odd last byte
    const uint64_t w = uint64_t{p[0]} << 8;
    weighted = (weighted + words + w) % 65535;
    words += w;
    word += 1;
  }
  // `weighted` counts each word's distance to the piece's end; shift to the chunk's end.
  words_ += words;
  weighted_ = (weighted_ + weighted + (total_words - word) % 65535 * (words % 65535)) % 65535;
}

uint32_t Fletcher32::value() const {
  // sum2 is zero exactly when sum1 is: when every word is zero.
  const uint32_t sum2 =
      words_ == 0 ? 0
                  : (weighted_ % 65535 == 0 ? 0xffff : static_cast<uint32_t>(weighted_ % 65535));
  return (sum2 << 16) | end_around_carry(words_);
}

}  // namespace swa
