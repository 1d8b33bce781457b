#include "lib/averaging/snapshot_compatibility.h"

#include "formats/input_error.h"

namespace swa {
namespace {

std::string describe(const TensorInfo& t) {
  return c10::str(c10::toString(t.dtype), " ", c10::IntArrayRef(t.shape));
}

}  // namespace

void check_compatible_snapshots(const SnapshotReader& ref, const SnapshotReader& other) {
  const auto& a = ref.meta();
  const auto& b = other.meta();
  if (!a.arch.empty() && !b.arch.empty() && a.arch != b.arch) {
    throw InputError(other.path(), "architecture '" + b.arch + "' differs from '" + a.arch +
                                       "' of " + ref.path());
  }
  if (a.num_classes > 0 && b.num_classes > 0 && a.num_classes != b.num_classes) {
    throw InputError(other.path(), "num_classes " + std::to_string(b.num_classes) +
                                       " differs from " + std::to_string(a.num_classes) + " of " +
                                       ref.path());
  }
  for (const auto& expected : ref.layout()) {
    const TensorInfo* got = other.find(expected.key);
    if (!got) {
      throw InputError(other.path(), expected.key, "missing (present in " + ref.path() + ")");
    }
    if (!(*got == expected)) {
      throw InputError(other.path(), expected.key,
                       describe(*got) + " but " + ref.path() + " has " + describe(expected));
    }
  }
  if (other.layout().size() != ref.layout().size()) {
    for (const auto& t : other.layout()) {
      if (!ref.find(t.key)) {
        throw InputError(other.path(), t.key, "not present in " + ref.path());
      }
    }
  }
}

}  // namespace swa
