#include "lib/runtime/measured_choice.h"

#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "formats/atomic_output.h"
#include "formats/cache_folder.h"
#include "formats/snapshot_meta.h"

namespace swa {

std::string ChoiceSource::text() const {
  switch (kind) {
    case Kind::kFlag:
    case Kind::kDevice:
    case Kind::kSetting:
      return detail;
    case Kind::kRemembered:
      return "remembered";
    case Kind::kMeasured:
      return "measured";
    case Kind::kDefault:
      return detail.empty() ? "default" : "default (" + detail + ")";
    case Kind::kRank0:
      return "rank 0";
  }
  return "?";
}
namespace {

nlohmann::json read_choices(const std::string& path) {
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

std::string measured_choices_file() {
  const std::string folder = cache_folder();
  return folder.empty() ? "" : folder + "/measured-choices.json";
}

std::vector<double> images_per_second_in_turn(int64_t images, size_t candidates, int rounds,
                                              const std::function<void(size_t)>& run,
                                              const std::function<void(size_t)>& prepare) {
  // On a GPU a run only queues kernels: each is timed from an idle device to its last kernel.
  const bool gpu = torch::cuda::is_available();
  std::vector<double> best(candidates, 0.0);
  for (int round = -1; round < rounds; ++round) {  // round -1: the warm-up
    for (size_t i = 0; i < candidates; ++i) {
      if (prepare) prepare(i);
      if (gpu) torch::cuda::synchronize();
      const auto start = std::chrono::steady_clock::now();
      run(i);
      if (gpu) torch::cuda::synchronize();
      const double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (round >= 0 && s > 0) best[i] = std::max(best[i], static_cast<double>(images) / s);
    }
  }
  return best;
}

std::string machine_choice_key(const std::string& what) {
  return cpu_model_name() + " | LibTorch " + TORCH_VERSION + " | " +
         std::to_string(at::get_num_threads()) + " threads | " + what;
}

std::optional<std::string> remembered_choice(const std::string& key) {
  const std::string path = measured_choices_file();
  if (path.empty()) return std::nullopt;
  const auto choices = read_choices(path);
  const auto it = choices.find(key);
  if (it == choices.end() || !it->is_object()) return std::nullopt;
  const auto value = it->find("choice");
  if (value == it->end() || !value->is_string()) return std::nullopt;
  return value->get<std::string>();
}

void remember_choice(const std::string& key, const std::string& value,
                     const nlohmann::json& measured) {
  const std::string path = measured_choices_file();
  if (path.empty()) return;
  auto choices = read_choices(path);
  choices[key] = {{"choice", value}, {"measured", measured}, {"measured_utc", utc_now_iso8601()}};
  try {
    std::filesystem::create_directories(cache_folder());
    write_file_atomically(path, choices.dump(2) + "\n");
  } catch (const std::exception&) {
    // A read-only or full cache folder: measure again next time.
  }
}

}  // namespace swa
