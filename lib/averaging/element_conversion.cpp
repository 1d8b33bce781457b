#include "lib/averaging/element_conversion.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace swa {
namespace {

inline float float_from_bits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
inline uint32_t bits_from_float(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// IEEE binary16 -> binary32, exact.
inline float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t{h & 0x8000u} << 16;
  const uint32_t exponent = (h >> 10) & 0x1f;
  const uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0x1f) return float_from_bits(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  return float_from_bits(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

// binary32 -> binary16, round to nearest even; overflow gives infinity, NaN stays NaN.
inline uint16_t float_to_half(float f) {
  const uint32_t x = bits_from_float(f);
  const auto sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t abs = x & 0x7fffffffu;
  if (abs > 0x7f800000u) return sign | 0x7e00u;   // NaN
  if (abs >= 0x477ff000u) return sign | 0x7c00u;  // rounds to >= 65520: infinity
  if (abs >= 0x38800000u) {                       // normal half (>= 2^-14)
    const uint32_t rounded = abs + 0xfffu + ((abs >> 13) & 1u);
    return static_cast<uint16_t>(sign | ((rounded - 0x38000000u) >> 13));
  }
  // Subnormal half or zero: value / 2^-24, rounded to nearest even by the FPU.
  const float scaled = float_from_bits(abs) * 16777216.0f;  // exact: multiply by 2^24
  return static_cast<uint16_t>(sign | static_cast<uint16_t>(std::nearbyint(scaled)));
}

inline float bfloat16_to_float(uint16_t b) { return float_from_bits(uint32_t{b} << 16); }

inline uint16_t float_to_bfloat16(float f) {
  if (std::isnan(f)) return 0x7fc0;
  const uint32_t x = bits_from_float(f);
  return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

template <typename T>
void accumulate(double* acc, const T* x, int64_t n, double w) {
  for (int64_t k = 0; k < n; ++k) acc[k] += w * static_cast<double>(x[k]);
}

template <typename Decode>
void accumulate16(double* acc, const uint16_t* x, int64_t n, double w, Decode decode) {
  for (int64_t k = 0; k < n; ++k) acc[k] += w * static_cast<double>(decode(x[k]));
}

template <typename T>
int64_t count_bad(const T* x, int64_t n) {
  int64_t bad = 0;
  for (int64_t k = 0; k < n; ++k) bad += !std::isfinite(x[k]);
  return bad;
}

}  // namespace

void add_weighted_elements(double* acc, const void* x, ElementType type, int64_t n, double w) {
  switch (type) {
    case ElementType::kFloat32:
      return accumulate(acc, static_cast<const float*>(x), n, w);
    case ElementType::kFloat64:
      return accumulate(acc, static_cast<const double*>(x), n, w);
    case ElementType::kFloat16:
      return accumulate16(acc, static_cast<const uint16_t*>(x), n, w, half_to_float);
    case ElementType::kBFloat16:
      return accumulate16(acc, static_cast<const uint16_t*>(x), n, w, bfloat16_to_float);
    default:
      throw std::logic_error("only floating tensors are averaged");
  }
}

void store_elements(const double* acc, int64_t n, ElementType type, void* out) {
  switch (type) {
    case ElementType::kFloat32: {
      auto* o = static_cast<float*>(out);
      for (int64_t k = 0; k < n; ++k) o[k] = static_cast<float>(acc[k]);
      return;
    }
    case ElementType::kFloat64:
      std::memcpy(out, acc, static_cast<size_t>(n) * 8);
      return;
    case ElementType::kFloat16: {
      auto* o = static_cast<uint16_t*>(out);
      for (int64_t k = 0; k < n; ++k) o[k] = float_to_half(static_cast<float>(acc[k]));
      return;
    }
    case ElementType::kBFloat16: {
      auto* o = static_cast<uint16_t*>(out);
      for (int64_t k = 0; k < n; ++k) o[k] = float_to_bfloat16(static_cast<float>(acc[k]));
      return;
    }
    default:
      throw std::logic_error("only floating tensors are averaged");
  }
}

int64_t count_non_finite(const void* x, ElementType type, int64_t n) {
  switch (type) {
    case ElementType::kFloat32:
      return count_bad(static_cast<const float*>(x), n);
    case ElementType::kFloat64:
      return count_bad(static_cast<const double*>(x), n);
    case ElementType::kFloat16:
    case ElementType::kBFloat16: {
      // Both keep an all-ones exponent for Inf/NaN: 5 bits (0x7c00) and 8 bits (0x7f80).
      const uint16_t mask = type == ElementType::kFloat16 ? 0x7c00 : 0x7f80;
      const auto* h = static_cast<const uint16_t*>(x);
      int64_t bad = 0;
      for (int64_t k = 0; k < n; ++k) bad += (h[k] & mask) == mask;
      return bad;
    }
    default:
      return 0;
  }
}

bool all_finite(const double* acc, int64_t n) {
  double probe = 0;
  for (int64_t k = 0; k < n; ++k) probe += acc[k] * 0.0;  // NaN or Inf makes the sum NaN
  return !std::isnan(probe);
}

}  // namespace swa
