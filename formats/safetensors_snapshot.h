// The safetensors container (8-byte header length, JSON header, raw little-endian data), as the
// Hugging Face ecosystem reads it. Snapshot metadata travels as JSON text in
// __metadata__["swa_meta"].
#pragma once
#include "formats/snapshot.h"

namespace swa {

std::unique_ptr<SnapshotReader> open_safetensors_snapshot(const std::string& path);
std::unique_ptr<SnapshotWriter> create_safetensors_snapshot(const std::string& path,
                                                            const TensorLayout& layout);

}  // namespace swa
