// Which subset to average, and why: the candidate with the best validation accuracy (then NLL);
// among equals the one with more snapshots (an average of more snapshots is the safer bet). The
// best single snapshot wins only when it is strictly better than every average.
#pragma once
#include <string>
#include <vector>

#include "lib/report/subset_quality.h"

namespace swa {

struct Candidate {
  std::string name;          // "uniform average", "greedy soup", ...
  std::vector<int> members;  // sorted
  SubsetQuality validation;
  bool bn_averaged = false;  // an average that keeps its averaged BatchNorm statistics
};

struct Recommendation {
  Candidate choice;
  std::string reason;
};

// `averages` is not empty; `best_single` is the best snapshot on its own. `names` label indices.
Recommendation recommend(const std::vector<Candidate>& averages, const Candidate& best_single,
                         const std::vector<std::string>& names);

}  // namespace swa
