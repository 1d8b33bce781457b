// A ResNet built from a snapshot: architecture from the metadata (or `arch_override` for files
// without it, e.g. a bare .pt), classes from the metadata or fc.weight, weights loaded strictly.
#pragma once
#include <string>

#include "formats/snapshot.h"
#include "lib/models/resnet.h"

namespace swa {

struct LoadedModel {
  ResNet model{nullptr};
  SnapshotMeta meta;  // arch and num_classes filled in
};

// Throws InputError naming the file when the architecture is unknown or tensors do not fit.
LoadedModel load_model(const std::string& path, const std::string& arch_override = "");

}  // namespace swa
