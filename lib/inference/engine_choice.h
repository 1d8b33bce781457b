// The two inference engines, and what measuring them on a batch found. Which is faster depends on
// the processor and the GPU: predict() (lib/evaluation/predict.h) times one batch on each the
// first time an architecture is evaluated at a batch size on a device and keeps the faster as a
// measured choice (lib/runtime/measured_choice.h). --engine frozen|reference overrides it.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "lib/runtime/measured_decision.h"

namespace swa {

enum class InferenceEngine { kAuto, kFrozen, kReference };
std::string engine_name(InferenceEngine engine);
std::optional<InferenceEngine> parse_engine(const std::string& name);

struct EngineTiming {
  double frozen_images_per_second = 0, reference_images_per_second = 0;
};

// What decided the engine of a pass, and both engines' speeds when this process measured them.
struct EngineDecision {
  InferenceEngine engine = InferenceEngine::kReference;
  ChoiceSource source;
  EngineTiming timing;
};
// decide_by_measuring (lib/runtime/measured_decision.h) between the frozen graph and the
// reference module: `measure` gives {frozen, reference} images per second; without a
// measurement, the reference.
EngineDecision decide_engine(const std::string& key, const MeasureCandidates& measure,
                             const Ranks& ranks);

// The measured-choice key of an architecture's inference at a batch size on this machine's
// `device` ("cpu", "cuda:0": each GPU of a machine is its own key).
std::string engine_choice_key(const std::string& arch, int64_t batch_size,
                              const std::string& device);

}  // namespace swa
