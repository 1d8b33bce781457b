// How good a subset of snapshots is on validation, as the subset searches see it. The searches
// take the scoring as a function, so they can be tested on made-up scores.
#pragma once
#include <functional>
#include <vector>

namespace swa {

struct SubsetQuality {
  double top1 = 0;  // percent
  double nll = 0;   // nats
};

// members: sorted snapshot indices, never empty.
using SubsetScoring = std::function<SubsetQuality(const std::vector<int>& members)>;

// True when `a` is better: higher accuracy, then lower NLL.
inline bool better_quality(const SubsetQuality& a, const SubsetQuality& b) {
  if (a.top1 != b.top1) return a.top1 > b.top1;
  return a.nll < b.nll;
}

}  // namespace swa
