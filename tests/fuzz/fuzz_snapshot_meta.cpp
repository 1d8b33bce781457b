// Snapshot metadata: the JSON every container carries (HDF5 attributes, the .pt's swa_meta.json
// record, safetensors __metadata__), parsed and turned into SnapshotMeta and back.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "formats/input_error.h"
#include "formats/snapshot_meta.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto j = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  try {
    const swa::SnapshotMeta meta = swa::meta_from_json(j, "fuzz.json");
    (void)swa::meta_to_json(meta).dump();
  } catch (const swa::InputError&) {
  }
  return 0;
}
