#include "formats/torch_element_type.h"

#include <utility>

#include "formats/input_error.h"

namespace swa {
namespace {

const std::pair<ElementType, c10::ScalarType> kPairs[] = {
    {ElementType::kFloat32, c10::kFloat}, {ElementType::kFloat64, c10::kDouble},
    {ElementType::kFloat16, c10::kHalf},  {ElementType::kBFloat16, c10::kBFloat16},
    {ElementType::kInt64, c10::kLong},    {ElementType::kInt32, c10::kInt},
    {ElementType::kInt16, c10::kShort},   {ElementType::kInt8, c10::kChar},
    {ElementType::kUInt8, c10::kByte},    {ElementType::kBool, c10::kBool}};

}  // namespace

c10::ScalarType to_scalar_type(ElementType t) {
  for (const auto& [e, s] : kPairs) {
    if (e == t) return s;
  }
  throw std::logic_error("unknown element type");
}

ElementType to_element_type(c10::ScalarType t, const std::string& file, const std::string& key) {
  for (const auto& [e, s] : kPairs) {
    if (s == t) return e;
  }
  throw InputError(file, key,
                   std::string("dtype ") + c10::toString(t) + " cannot be stored in a snapshot");
}

}  // namespace swa
