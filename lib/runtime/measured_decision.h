// "Measure once, remember, rank 0 decides": the one way a processor-dependent choice among named
// candidates is made (swa-eval's engine, swa-bn's layout, the TorchScript engine). The choice
// remembered on this machine under `key` (measured_choice.h) if it names a candidate; else
// `measure` times the candidates now and the fastest is kept and remembered with what decided
// it. With several ranks rank 0 decides and every other rank takes its choice.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lib/distributed/ranks.h"
#include "lib/runtime/measured_choice.h"

namespace swa {

struct MeasuredDecision {
  size_t chosen = 0;    // index into the candidates' names
  ChoiceSource source;  // kRemembered, kMeasured, kDefault (nothing to measure: why) or kRank0
  std::vector<double> images_per_second;  // per candidate, when measured by this process
};

// Images per second of each candidate, in the names' order; nullopt, with `why`, when there is
// nothing to measure (no images, a candidate that cannot be built): then `fallback` is chosen
// and nothing is remembered.
using MeasureCandidates = std::function<std::optional<std::vector<double>>(std::string& why)>;

// `what` names the step in a lost rank's message ("choosing the engine").
MeasuredDecision decide_by_measuring(const std::string& what, const std::string& key,
                                     const std::vector<std::string>& names, size_t fallback,
                                     const MeasureCandidates& measure, const Ranks& ranks);

}  // namespace swa
