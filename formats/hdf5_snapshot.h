// The native snapshot container: HDF5 laid out as formats/SNAPSHOT.md specifies.
#pragma once
#include "formats/snapshot.h"

namespace swa {

std::unique_ptr<SnapshotReader> open_hdf5_snapshot(const std::string& path);
std::unique_ptr<SnapshotWriter> create_hdf5_snapshot(const std::string& path,
                                                     const TensorLayout& layout,
                                                     const WriteOptions& options);

}  // namespace swa
