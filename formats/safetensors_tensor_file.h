// The safetensors container (8-byte header length, JSON header, raw little-endian data), as the
// Hugging Face ecosystem reads it. Snapshot metadata travels as JSON text in
// __metadata__["swa_meta"].
#pragma once
#include "formats/tensor_file.h"

namespace swa {

std::unique_ptr<TensorFileReader> open_safetensors_tensor_file(const std::string& path);
std::unique_ptr<TensorFileWriter> create_safetensors_tensor_file(const std::string& path,
                                                                 const StoredLayout& layout);

}  // namespace swa
