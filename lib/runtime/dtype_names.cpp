#include "lib/runtime/dtype_names.h"

#include <stdexcept>
#include <utility>

namespace swa {
namespace {

struct DtypeName {
  const char* name;
  const char* alias;
  ElementType type;
};
constexpr DtypeName kNames[] = {{"fp32", "float32", ElementType::kFloat32},
                                {"bf16", "bfloat16", ElementType::kBFloat16},
                                {"fp16", "float16", ElementType::kFloat16}};

}  // namespace

std::optional<ElementType> floating_type_named(const std::string& name) {
  for (const auto& n : kNames) {
    if (name == n.name || name == n.alias) return n.type;
  }
  return std::nullopt;
}

std::string dtype_name(ElementType type) {
  for (const auto& n : kNames) {
    if (n.type == type) return n.name;
  }
  throw std::logic_error("no dtype name for this element type");
}

std::string dtype_names_help() { return "fp32, bf16 or fp16 (or float32, bfloat16, float16)"; }

}  // namespace swa
