#include "lib/report/recommendation.h"

#include <cstdio>

namespace swa {
namespace {

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f %%", v);
  return buf;
}

std::string describe(const Candidate& c, size_t total) {
  std::string s = c.name + " (" + std::to_string(c.members.size()) + " of " +
                  std::to_string(total) + " snapshot" + (total == 1 ? "" : "s") + ", " +
                  percent(c.validation.top1) + ")";
  return s;
}

}  // namespace

Recommendation recommend(const std::vector<Candidate>& averages, const Candidate& best_single,
                         const std::vector<std::string>& names) {
  Recommendation r;
  // A "subset" of one snapshot (a greedy soup that kept nothing else) is no average.
  std::vector<const Candidate*> real;
  for (const auto& c : averages) {
    if (c.members.size() > 1) real.push_back(&c);
  }
  if (real.empty()) {
    r.choice = best_single;
    r.reason = averages.empty() ? "only one snapshot: nothing to average"
                                : "every average tried had a single member: keep the best snapshot";
    return r;
  }
  const Candidate* best = real.front();
  for (const Candidate* c : real) {
    const bool better = better_quality(c->validation, best->validation);
    const bool equal = !better && !better_quality(best->validation, c->validation);
    if (better || (equal && c->members.size() > best->members.size())) best = c;
  }
  const size_t total = names.size();
  if (better_quality(best_single.validation, best->validation)) {
    r.choice = best_single;
    r.reason =
        "no average beat the best single snapshot on validation: " +
        names[static_cast<size_t>(best_single.members.front())] + " reaches " +
        percent(best_single.validation.top1) + ", the best average, " + describe(*best, total) +
        ", does not; keep that snapshot (more cycles, or a later --swa-start, may change this)";
    return r;
  }
  r.choice = *best;
  r.reason = describe(*best, total) + " has the best validation accuracy of the averages compared";
  for (const auto& c : averages) {
    if (&c != best) r.reason += "; " + describe(c, total);
  }
  r.reason += "; the best single snapshot, " +
              names[static_cast<size_t>(best_single.members.front())] + ", reaches " +
              percent(best_single.validation.top1);
  return r;
}

}  // namespace swa
