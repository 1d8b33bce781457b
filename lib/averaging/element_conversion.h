// Floating-point elements to and from the float64 accumulator of averaging, torch-free.
// Conversions round exactly as LibTorch's Tensor::to does (float64 -> float32 -> float16/bfloat16,
// round to nearest even), so an average written here equals one computed with torch.
#pragma once
#include <cstdint>

#include "formats/element_type.h"

namespace swa {

// acc[k] += weight * x[k] for n elements of floating type `type` (little-endian bytes).
void add_weighted_elements(double* acc, const void* x, ElementType type, int64_t n, double weight);
// out[k] = acc[k] rounded to `type`.
void store_elements(const double* acc, int64_t n, ElementType type, void* out);
// How many of n elements of `type` are NaN or infinite (0 for non-floating types).
int64_t count_non_finite(const void* x, ElementType type, int64_t n);
// True when every element is finite; no temporary memory.
bool all_finite(const double* acc, int64_t n);

}  // namespace swa
