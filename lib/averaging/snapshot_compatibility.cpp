#include "lib/averaging/snapshot_compatibility.h"

#include "formats/input_error.h"

namespace swa {
void check_compatible_snapshots(const TensorFileReader& ref, const TensorFileReader& other) {
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
    const int64_t index = other.find(expected.key);
    if (index < 0) {
      throw InputError(other.path(), expected.key, "missing (present in " + ref.path() + ")");
    }
    const StoredTensor& got = other.layout()[static_cast<size_t>(index)];
    if (!(got == expected)) {
      throw InputError(
          other.path(), expected.key,
          describe_tensor(got) + " but " + ref.path() + " has " + describe_tensor(expected));
    }
  }
  if (other.layout().size() != ref.layout().size()) {
    for (const auto& t : other.layout()) {
      if (ref.find(t.key) < 0) {
        throw InputError(other.path(), t.key, "not present in " + ref.path());
      }
    }
  }
}

}  // namespace swa
