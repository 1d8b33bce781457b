#include "lib/inspection/inspect_snapshot.h"

#include <filesystem>
#include <vector>

#include "formats/input_error.h"
#include "formats/tensor_file.h"
#include "lib/averaging/element_conversion.h"
#include "lib/models/architecture.h"
#include "lib/models/batchnorm_keys.h"

namespace swa {

InspectionResult inspect_snapshot(const std::string& path, bool verify,
                                  const std::string& state_dict_key) {
  auto reader = open_tensor_file(path, {TensorFileKind::kSnapshot, state_dict_key});
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
  if (reader->meta().arch.empty()) {  // a bare .pt: what its tensors say instead
    nlohmann::json fit;
    std::string why;
    const auto spec = architecture_from_layout(reader->layout(), why);
    fit["arch"] = spec ? nlohmann::json(spec->name()) : nlohmann::json(nullptr);
    if (!spec) fit["why"] = why;
    const int64_t fc = reader->find("fc.weight");
    const auto& fc_shape =
        fc >= 0 ? reader->layout()[static_cast<size_t>(fc)].shape : std::vector<int64_t>{};
    fit["num_classes"] =
        fc_shape.size() == 2 ? nlohmann::json(fc_shape[0]) : nlohmann::json(nullptr);
    r["architecture_from_tensors"] = fit;
  }
  r["tensor_count"] = reader->layout().size();
  r["parameter_count"] = parameters;
  r["tensor_bytes"] = bytes;
  if (const StateDictOrigin* origin = reader->state_dict_origin()) {
    r["state_dict"] = {{"object", origin->object},
                       {"stripped_prefixes", origin->stripped_prefixes},
                       {"dropped", origin->dropped},
                       {"skipped", origin->skipped}};
  }
  if (verify) {
    nlohmann::json problems = nlohmann::json::array();
    std::vector<char> buffer;
    for (size_t i = 0; i < reader->layout().size(); ++i) {
      const StoredTensor& t = reader->layout()[i];
      try {
        buffer.resize(static_cast<size_t>(t.nbytes()));
        reader->read_tensor(i, buffer.data());  // checksums verified on the way
        if (count_non_finite(buffer.data(), t.type, t.numel()) > 0) {
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
