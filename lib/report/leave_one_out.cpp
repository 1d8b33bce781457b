#include "lib/report/leave_one_out.h"

namespace swa {

std::vector<LeaveOneOut> leave_one_out(int count, const SubsetQuality& all,
                                       const SubsetScoring& score) {
  std::vector<LeaveOneOut> out;
  if (count < 2) return out;
  for (int drop = 0; drop < count; ++drop) {
    std::vector<int> others;
    for (int i = 0; i < count; ++i) {
      if (i != drop) others.push_back(i);
    }
    LeaveOneOut e;
    e.dropped = drop;
    e.without = score(others);
    e.delta_top1 = e.without.top1 - all.top1;
    e.delta_nll = e.without.nll - all.nll;
    e.harmful = e.delta_top1 > 0;
    out.push_back(e);
  }
  return out;
}

}  // namespace swa
