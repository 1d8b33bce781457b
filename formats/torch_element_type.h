// Element types as LibTorch scalar types and back.
#pragma once
#include <c10/core/ScalarType.h>

#include <string>

#include "formats/element_type.h"

namespace swa {

c10::ScalarType to_scalar_type(ElementType t);
// Throws InputError naming `file` and `key` for scalar types a snapshot cannot hold.
ElementType to_element_type(c10::ScalarType t, const std::string& file, const std::string& key);

}  // namespace swa
