// Which inference engine runs a model fastest on this machine, measured there, not guessed: on
// the CPU, the frozen graph (lib/inference/frozen_resnet.h) wins on some processors and our module
// (BatchNorm folded, channels_last) on others. The first evaluation of an architecture at a batch
// size and thread count times one batch on each (after a warm-up batch each) and remembers the
// faster in CACHE/engine-choice.json (formats/cache_folder.h), keyed by the processor's model
// name, the LibTorch version, the architecture, the batch size and the threads; later runs read
// it. --engine frozen|reference overrides it; deleting the file measures again.
#pragma once
#include <torch/torch.h>

#include <optional>
#include <string>

namespace swa {

enum class InferenceEngine { kAuto, kFrozen, kReference };
std::string engine_name(InferenceEngine engine);

struct EngineTiming {
  double frozen_images_per_second = 0, reference_images_per_second = 0;
};

// The remembered choice under `key`, if any (an unreadable or foreign file counts as none).
std::optional<InferenceEngine> remembered_engine(const std::string& key);
// Records the measured choice under `key` (best effort: a cache that cannot be written is skipped).
void remember_engine(const std::string& key, InferenceEngine engine, const EngineTiming& timing);
// The key of one machine, architecture, batch size and thread count.
std::string engine_choice_key(const std::string& arch, int64_t batch_size);

}  // namespace swa
