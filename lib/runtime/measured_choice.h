// Choices that depend on the processor (which inference engine, which memory layout) are measured
// on the machine the first time they are needed and remembered in CACHE/measured-choices.json
// (formats/cache_folder.h), under a key naming the processor model, the LibTorch version, the
// thread count and what was measured. Deleting the file measures again; a file that cannot be
// read counts as empty, one that cannot be written is skipped.
#pragma once
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace swa {

// How a processor-dependent choice (an engine, a layout) was made: typed for the code that acts
// on it, text() for messages and --json's "chosen_by".
struct ChoiceSource {
  enum class Kind {
    kFlag,        // given on the command line: detail is the flag ("--engine", "--layout")
    kDevice,      // fixed by the device: detail is the device ("cuda:0")
    kSetting,     // fixed by another setting: detail names it ("--no-fold", "precision")
    kRemembered,  // measured on this machine before (measured-choices.json)
    kMeasured,    // measured now
    kDefault,     // nothing to measure: detail says why
    kRank0,       // another rank's: rank 0 decided for all
  };
  Kind kind = Kind::kDefault;
  std::string detail;
  std::string text() const;
};

// "<processor model> | LibTorch <version> | <threads> threads | <what>".
std::string machine_choice_key(const std::string& what);
// The remembered value under `key`, if any.
std::optional<std::string> remembered_choice(const std::string& key);
// Records `value` under `key`, with the measurements that decided it.
void remember_choice(const std::string& key, const std::string& value,
                     const nlohmann::json& measured);
// The file the choices are kept in ("" when there is no cache folder).
std::string measured_choices_file();
// What a choice is measured by: the images per second of each of `candidates`, where run(i) puts
// candidate i to work on `images` images. Each runs once to warm up (one-time set-up), then
// `rounds` times in turn, so that a busy moment of a shared machine slows all alike; each keeps
// its fastest round. prepare(i), if given, runs untimed before each of candidate i's runs (to put
// its layout in place). With a GPU, each run is timed to its last kernel.
inline constexpr int kMeasuredRounds = 2;  // timed rounds per candidate, after the warm-up
std::vector<double> images_per_second_in_turn(int64_t images, size_t candidates, int rounds,
                                              const std::function<void(size_t)>& run,
                                              const std::function<void(size_t)>& prepare = {});

}  // namespace swa
