#include "lib/inspection/inspect_snapshot.h"

#include <filesystem>

#include "formats/input_error.h"
#include "formats/snapshot.h"
#include "lib/models/batchnorm_keys.h"

namespace swa {

InspectionResult inspect_snapshot(const std::string& path, bool verify) {
  auto reader = open_snapshot(path);
  int64_t parameters = 0, bytes = 0;
  for (const auto& t : reader->layout()) {
    if (!is_batchnorm_buffer(t.key)) parameters += t.numel();
    bytes += t.nbytes();
  }
  InspectionResult result;
  auto& r = result.report;
  r["path"] = path;
  r["format"] = format_name(format_for_input(path));
  r["file_bytes"] = std::filesystem::file_size(path);
  r["meta"] = meta_to_json(reader->meta());
  r["tensor_count"] = reader->layout().size();
  r["parameter_count"] = parameters;
  r["tensor_bytes"] = bytes;
  if (const StateDictOrigin* origin = reader->file().state_dict_origin()) {
    r["state_dict"] = {{"object", origin->object},
                       {"stripped_prefixes", origin->stripped_prefixes},
                       {"dropped", origin->dropped},
                       {"skipped", origin->skipped}};
  }
  if (verify) {
    nlohmann::json problems = nlohmann::json::array();
    for (const auto& t : reader->layout()) {
      try {
        torch::Tensor x = reader->read(t.key);
        if (x.is_floating_point() && !torch::isfinite(x).all().item<bool>()) {
          problems.push_back({{"tensor", t.key}, {"error", "NaN/Inf values"}});
        }
      } catch (const InputError& e) {
        problems.push_back({{"tensor", t.key}, {"error", e.what()}});
      }
    }
    r["verified"] = problems.empty();
    r["problems"] = problems;
    result.ok = problems.empty();
  }
  return result;
}

}  // namespace swa
