// Whether two snapshots can be averaged: same architecture, classes, keys, dtypes and shapes.
#pragma once
#include "formats/tensor_file.h"

namespace swa {

// Throws InputError naming `other` and the first difference from `reference`.
void check_compatible_snapshots(const TensorFileReader& reference, const TensorFileReader& other);

}  // namespace swa
