#include "lib/inference/engine_choice.h"

#include <torch/version.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "formats/atomic_output.h"
#include "formats/cache_folder.h"
#include "formats/snapshot_meta.h"

namespace swa {
namespace {

std::string cache_file() {
  const std::string folder = cache_folder();
  return folder.empty() ? "" : folder + "/engine-choice.json";
}

nlohmann::json read_cache(const std::string& path) {
  std::ifstream in(path);
  if (!in) return nlohmann::json::object();
  try {
    auto j = nlohmann::json::parse(in);
    return j.is_object() ? j : nlohmann::json::object();
  } catch (const nlohmann::json::exception&) {
    return nlohmann::json::object();
  }
}

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown CPU";
}

}  // namespace

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

std::string engine_choice_key(const std::string& arch, int64_t batch_size) {
  return cpu_model_name() + " | LibTorch " + TORCH_VERSION + " | " + arch + " | batch " +
         std::to_string(batch_size) + " | " + std::to_string(at::get_num_threads()) + " threads";
}

std::optional<InferenceEngine> remembered_engine(const std::string& key) {
  const std::string path = cache_file();
  if (path.empty()) return std::nullopt;
  const auto cache = read_cache(path);
  const auto it = cache.find(key);
  if (it == cache.end() || !it->is_object()) return std::nullopt;
  const std::string name = it->value("engine", "");
  if (name == "frozen") return InferenceEngine::kFrozen;
  if (name == "reference") return InferenceEngine::kReference;
  return std::nullopt;
}

void remember_engine(const std::string& key, InferenceEngine engine, const EngineTiming& timing) {
  const std::string path = cache_file();
  if (path.empty()) return;
  auto cache = read_cache(path);
  cache[key] = {{"engine", engine_name(engine)},
                {"frozen_images_per_second", timing.frozen_images_per_second},
                {"reference_images_per_second", timing.reference_images_per_second},
                {"measured_utc", utc_now_iso8601()}};
  try {
    std::filesystem::create_directories(cache_folder());
    write_file_atomically(path, cache.dump(2) + "\n");
  } catch (const std::exception&) {
    // A read-only or full cache folder: measure again next time.
  }
}

}  // namespace swa
