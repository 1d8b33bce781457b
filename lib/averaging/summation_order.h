// Every average sums its inputs in one fixed order and with one arithmetic, wherever it runs:
// swa-average streams tensors from files, swa-report averages candidates in memory, and the two
// must agree to the last bit so that a report scores exactly the file its recommended command
// writes. Torch-free.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "formats/element_type.h"

namespace swa {

// The inputs' indices sorted by path (stable for equal paths): permuting the inputs changes no
// bit of their average.
std::vector<size_t> summation_order(const std::vector<std::string>& paths);

// One tensor's weighted average of inputs held in memory: acc[k] = sum over `order` of
// weights[i] * inputs[i][k] in float64, then out[k] = acc[k] rounded to `type`. Element for
// element the arithmetic of swa-average's streamed blocks. acc holds n doubles.
void weighted_average_elements(const std::vector<const void*>& inputs, ElementType type, int64_t n,
                               const std::vector<double>& weights, const std::vector<size_t>& order,
                               double* acc, void* out);

}  // namespace swa
