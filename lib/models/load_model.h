// A ResNet built from a snapshot: architecture from the metadata, else from the tensors' keys and
// shapes (a bare .pt), or `arch_override`; classes from the metadata or fc.weight, weights loaded
// strictly.
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
// `state_dict_key`: --key (formats/tensor_file.h).
LoadedModel load_model(const std::string& path, const std::string& arch_override = "",
                       const std::string& state_dict_key = "");

// A snapshot's architecture name: its metadata's, else the ResNet its tensors fit
// (architecture_from_layout, lib/models/architecture.h). Throws InputError naming the file when
// neither says.
std::string snapshot_architecture(const SnapshotReader& reader);
// A snapshot's class count: its metadata's, else fc.weight's rows. Throws InputError naming the
// file when it has no fc.weight.
int64_t snapshot_num_classes(const SnapshotReader& reader);

}  // namespace swa
