// Whether two snapshots can be averaged: same architecture, classes, keys, dtypes and shapes.
#pragma once
#include "formats/snapshot.h"

namespace swa {

// Throws InputError naming `other` and the first difference from `reference`.
void check_compatible_snapshots(const SnapshotReader& reference, const SnapshotReader& other);

}  // namespace swa
