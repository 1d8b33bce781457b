#include "lib/averaging/summation_order.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <tuple>

#include "formats/input_error.h"
#include "lib/averaging/element_conversion.h"

namespace swa {

bool SummationKey::operator<(const SummationKey& o) const {
  return std::tie(epoch, step, real_path) < std::tie(o.epoch, o.step, o.real_path);
}

SummationKey summation_key(const std::string& path, const SnapshotMeta& meta) {
  std::error_code ec;
  std::filesystem::path real = std::filesystem::canonical(path, ec);
  if (ec) real = std::filesystem::absolute(path).lexically_normal();
  return {meta.epoch, meta.step, real.string()};
}

std::vector<size_t> summation_order(const std::vector<SummationKey>& keys) {
  std::vector<size_t> order(keys.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return keys[a] < keys[b]; });
  return order;
}

SummationWeights summation_weights(const std::vector<double>& weights,
                                   const std::vector<size_t>& order) {
  double largest = 0;
  for (double w : weights) {
    if (!(w >= 0) || !std::isfinite(w)) {
      throw InputError("weights: " + std::to_string(w) + " is not a finite, non-negative weight");
    }
    largest = std::max(largest, w);
  }
  if (!(largest > 0)) throw InputError("weights: every weight is zero");
  SummationWeights out;
  for (double w : weights) out.relative.push_back(w / largest);
  for (size_t i : order) out.total += out.relative[i];
  return out;
}

void divide_elements(double* acc, int64_t n, double total) {
  if (total == 1.0) return;
  for (int64_t k = 0; k < n; ++k) acc[k] /= total;
}

void weighted_average_elements(const std::vector<const void*>& inputs, ElementType type, int64_t n,
                               const SummationWeights& weights, const std::vector<size_t>& order,
                               double* acc, void* out) {
  std::fill(acc, acc + n, 0.0);
  for (size_t i : order) add_weighted_elements(acc, inputs[i], type, n, weights.relative[i]);
  divide_elements(acc, n, weights.total);
  store_elements(acc, n, type, out);
}

}  // namespace swa
