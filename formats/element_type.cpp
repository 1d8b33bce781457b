#include "formats/element_type.h"

namespace swa {
namespace {

struct Entry {
  ElementType type;
  const char* name;
  int64_t size;
  bool floating;
};

constexpr Entry kTypes[] = {
    {ElementType::kFloat32, "float32", 4, true}, {ElementType::kFloat64, "float64", 8, true},
    {ElementType::kFloat16, "float16", 2, true}, {ElementType::kBFloat16, "bfloat16", 2, true},
    {ElementType::kInt64, "int64", 8, false},    {ElementType::kInt32, "int32", 4, false},
    {ElementType::kInt16, "int16", 2, false},    {ElementType::kInt8, "int8", 1, false},
    {ElementType::kUInt8, "uint8", 1, false},    {ElementType::kBool, "bool", 1, false}};

const Entry& entry(ElementType t) { return kTypes[static_cast<int>(t)]; }

}  // namespace

int64_t element_size(ElementType t) { return entry(t).size; }
bool is_floating(ElementType t) { return entry(t).floating; }
const char* element_type_name(ElementType t) { return entry(t).name; }

bool element_type_from_name(const std::string& name, ElementType& out) {
  for (const auto& e : kTypes) {
    if (name == e.name) {
      out = e.type;
      return true;
    }
  }
  return false;
}

}  // namespace swa
