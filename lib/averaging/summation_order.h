// Every average sums its inputs in one fixed order and with one arithmetic, wherever it runs:
// swa-average streams tensors from files, swa-report averages candidates in memory, and the two
// must agree to the last bit so that a report scores exactly the file its recommended command
// writes. Torch-free.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "formats/element_type.h"
#include "formats/snapshot_meta.h"

namespace swa {

// What fixes an input's place in the sum: its metadata (epoch, then step; -1 when unknown), then
// its resolved real path. How a path is spelled (./a.h5, a link to it) never changes the order.
struct SummationKey {
  int64_t epoch = -1, step = -1;
  std::string real_path;
  bool operator<(const SummationKey& o) const;
};
SummationKey summation_key(const std::string& path, const SnapshotMeta& meta);

// The inputs' indices sorted by key (stable for equal keys): permuting the inputs, renaming them
// or reaching them through links changes no bit of their average.
std::vector<size_t> summation_order(const std::vector<SummationKey>& keys);

// Weights as the sums use them: scaled so the largest is 1 (no sum of them can overflow), and
// their total in `order`. Throws InputError for a negative or non-finite weight, or all zero.
struct SummationWeights {
  std::vector<double> relative;  // parallel to the inputs
  double total = 0;              // every average is divided by it once
};
SummationWeights summation_weights(const std::vector<double>& weights,
                                   const std::vector<size_t>& order);

// acc[k] /= total for n elements (skipped when total is 1): the one division of an average.
void divide_elements(double* acc, int64_t n, double total);

// One tensor's weighted average of inputs held in memory: acc[k] = sum over `order` of
// relative[i] * inputs[i][k] in float64, divided once by the total, then out[k] = acc[k] rounded
// to `type`. Element for element the arithmetic of swa-average's streamed blocks. acc holds n
// doubles.
void weighted_average_elements(const std::vector<const void*>& inputs, ElementType type, int64_t n,
                               const SummationWeights& weights, const std::vector<size_t>& order,
                               double* acc, void* out);

}  // namespace swa
