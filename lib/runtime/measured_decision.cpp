#include "lib/runtime/measured_decision.h"

#include <algorithm>

namespace swa {
namespace {

MeasuredDecision decide_here(const std::string& key, const std::vector<std::string>& names,
                             size_t fallback, const MeasureCandidates& measure) {
  MeasuredDecision out;
  if (const auto known = remembered_choice(key)) {
    const auto it = std::find(names.begin(), names.end(), *known);
    if (it != names.end()) {
      out.chosen = static_cast<size_t>(it - names.begin());
      out.source = {ChoiceSource::Kind::kRemembered, ""};
      return out;
    }
  }
  std::string why;
  const auto speeds = measure(why);
  if (!speeds || speeds->size() != names.size()) {
    out.chosen = fallback;
    out.source = {ChoiceSource::Kind::kDefault, why};
    return out;
  }
  out.images_per_second = *speeds;
  out.chosen = static_cast<size_t>(std::max_element(speeds->begin(), speeds->end()) -
                                   speeds->begin());  // the first of equals
  out.source = {ChoiceSource::Kind::kMeasured, ""};
  nlohmann::json measured = nlohmann::json::object();
  for (size_t i = 0; i < names.size(); ++i) measured[names[i]] = (*speeds)[i];
  remember_choice(key, names[out.chosen], measured);
  return out;
}

}  // namespace

MeasuredDecision decide_by_measuring(const std::string& what, const std::string& key,
                                     const std::vector<std::string>& names, size_t fallback,
                                     const MeasureCandidates& measure, const Ranks& ranks) {
  MeasuredDecision out;
  const int64_t chosen = ranks.rank_0_decides(what, [&] {
    out = decide_here(key, names, fallback, measure);
    return static_cast<int64_t>(out.chosen);
  });
  if (!ranks.leads()) {
    out = MeasuredDecision{};
    out.source = {ChoiceSource::Kind::kRank0, ""};
  }
  out.chosen = static_cast<size_t>(chosen);
  return out;
}

}  // namespace swa
