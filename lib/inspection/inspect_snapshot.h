// What swa-inspect reports about one snapshot file: format, metadata, tensor and parameter
// counts, BatchNorm state; with `verify`, every tensor is read (checksums) and checked finite.
// Torch-free: swa-inspect runs without LibTorch, and under the sanitizer build.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace swa {

struct InspectionResult {
  nlohmann::json report;  // schema: see tools/swa-inspect/README.md
  bool ok = true;         // false when verification found a problem
};

// Throws InputError when the file cannot be opened at all.
InspectionResult inspect_snapshot(const std::string& path, bool verify,
                                  const std::string& state_dict_key = "");

}  // namespace swa
