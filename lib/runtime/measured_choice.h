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

namespace swa {

// "<processor model> | LibTorch <version> | <threads> threads | <what>".
std::string machine_choice_key(const std::string& what);
// The remembered value under `key`, if any.
std::optional<std::string> remembered_choice(const std::string& key);
// Records `value` under `key`, with the measurements that decided it.
void remember_choice(const std::string& key, const std::string& value,
                     const nlohmann::json& measured);
// The file the choices are kept in ("" when there is no cache folder).
std::string measured_choices_file();
// What a choice is measured by: images per second of `run` (which processes `images` images),
// timed on its second call (the first pays one-time set-up).
double images_per_second_after_warmup(int64_t images, const std::function<void()>& run);

}  // namespace swa
