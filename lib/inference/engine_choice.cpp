#include "lib/inference/engine_choice.h"

#include "lib/runtime/measured_choice.h"

namespace swa {

std::string engine_name(InferenceEngine engine) {
  switch (engine) {
    case InferenceEngine::kFrozen:
      return "frozen";
    case InferenceEngine::kReference:
      return "reference";
    default:
      return "auto";
  }
}

std::optional<InferenceEngine> parse_engine(const std::string& name) {
  if (name == "frozen") return InferenceEngine::kFrozen;
  if (name == "reference") return InferenceEngine::kReference;
  if (name == "auto") return InferenceEngine::kAuto;
  return std::nullopt;
}

EngineDecision decide_engine(const std::string& key, const MeasureCandidates& measure,
                             const Ranks& ranks) {
  const MeasuredDecision d = decide_by_measuring(
      "choosing the engine", key,
      {engine_name(InferenceEngine::kFrozen), engine_name(InferenceEngine::kReference)}, 1, measure,
      ranks);
  EngineDecision out;
  out.engine = d.chosen == 0 ? InferenceEngine::kFrozen : InferenceEngine::kReference;
  out.source = d.source;
  if (d.images_per_second.size() == 2)
    out.timing = {d.images_per_second[0], d.images_per_second[1]};
  return out;
}

std::string engine_choice_key(const std::string& arch, int64_t batch_size,
                              const std::string& device) {
  const std::string where = device == "cpu" ? "" : " | " + device;
  return machine_choice_key("inference engine | " + arch + " | batch " +
                            std::to_string(batch_size) + where);
}

}  // namespace swa
