// How much each selected snapshot counts in an average:
//   uniform               every snapshot alike (default)
//   --weights w1,w2,...   given weights, in the order of the selected inputs
//   softmax:METRIC[:T]    weight ∝ exp(METRIC/T) from each snapshot's metadata; a leading '-'
//                         ranks lower values higher (softmax:-val_loss:0.1)
//   --ema DECAY           exponential moving average in input order: the same result as
//                         ema = x1; ema = DECAY*ema + (1-DECAY)*x_k
// Weights are returned normalised to sum to 1 (scaled by the largest first, so no sum overflows);
// a weight, decay or temperature that is not a finite number is refused.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "formats/snapshot_meta.h"

namespace swa {

struct WeightingSpec {
  enum class Kind { kUniform, kExplicit, kSoftmax, kEma } kind = Kind::kUniform;
  std::vector<double> weights;  // kExplicit
  std::string metric;           // kSoftmax
  bool negate = false;          // kSoftmax
  double temperature = 1.0;     // kSoftmax
  double decay = 0.0;           // kEma

  std::string describe() const;
};

// From the tool's flags; at most one of them may be set. Throws InputError on bad values.
WeightingSpec parse_weighting(const std::string& weights_csv, const std::string& softmax_spec,
                              std::optional<double> ema_decay);

// Throws InputError (naming the file) when a metric is unknown or weights are unusable.
std::vector<double> compute_weights(const WeightingSpec& spec,
                                    const std::vector<SnapshotMeta>& metas,
                                    const std::vector<std::string>& paths);

}  // namespace swa
