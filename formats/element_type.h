// Element types a snapshot tensor can have, named as torch names them ("float32", "bfloat16").
// Torch-free: the streaming tools (swa-average) use it without loading LibTorch.
#pragma once
#include <cstdint>
#include <string>

namespace swa {

enum class ElementType {
  kFloat32,
  kFloat64,
  kFloat16,
  kBFloat16,
  kInt64,
  kInt32,
  kInt16,
  kInt8,
  kUInt8,
  kBool
};

int64_t element_size(ElementType t);
bool is_floating(ElementType t);
// "float32", "float64", "float16", "bfloat16", "int64", ..., "bool".
const char* element_type_name(ElementType t);
// False when `name` is none of the names above.
bool element_type_from_name(const std::string& name, ElementType& out);

}  // namespace swa
