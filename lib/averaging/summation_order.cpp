#include "lib/averaging/summation_order.h"

#include <algorithm>
#include <numeric>

#include "lib/averaging/element_conversion.h"

namespace swa {

std::vector<size_t> summation_order(const std::vector<std::string>& paths) {
  std::vector<size_t> order(paths.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return paths[a] < paths[b]; });
  return order;
}

void weighted_average_elements(const std::vector<const void*>& inputs, ElementType type, int64_t n,
                               const std::vector<double>& weights, const std::vector<size_t>& order,
                               double* acc, void* out) {
  std::fill(acc, acc + n, 0.0);
  for (size_t i : order) add_weighted_elements(acc, inputs[i], type, n, weights[i]);
  store_elements(acc, n, type, out);
}

}  // namespace swa
