// The dtype names of every flag that takes one (--precision, --amp; --dtype to come), parsed here
// alone: fp32, bf16, fp16, with float32, bfloat16, float16 as aliases. Torch-free.
#pragma once
#include <optional>
#include <string>

#include "formats/element_type.h"

namespace swa {

// kFloat32, kBFloat16 or kFloat16 for a name or alias above; nullopt for anything else.
std::optional<ElementType> floating_type_named(const std::string& name);
// The canonical name: "fp32", "bf16", "fp16".
std::string dtype_name(ElementType type);
// "fp32, bf16 or fp16 (or float32, bfloat16, float16)", for messages and --help.
std::string dtype_names_help();

}  // namespace swa
