// Leave-one-out: what the average of all snapshots loses or gains when each one is dropped.
#pragma once
#include <vector>

#include "lib/report/subset_quality.h"

namespace swa {

struct LeaveOneOut {
  int dropped = 0;
  SubsetQuality without;  // the average of the others
  double delta_top1 = 0;  // without.top1 - all.top1 (positive: dropping helps)
  double delta_nll = 0;   // without.nll - all.nll (negative: dropping helps)
  bool harmful = false;   // dropping it raises validation accuracy
};

// One entry per snapshot (none when there is only one). `all` is the score of every snapshot.
std::vector<LeaveOneOut> leave_one_out(int count, const SubsetQuality& all,
                                       const SubsetScoring& score);

}  // namespace swa
