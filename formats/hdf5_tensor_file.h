// The native snapshot container: HDF5 laid out as formats/SNAPSHOT.md specifies.
// Reading asks HDF5 where each tensor's chunks lie, then reads them with pread and checks their
// fletcher32 here: no HDF5 state per tensor, many threads at once, one file descriptor per input.
// Datasets HDF5 must decode (compressed, compact, big-endian) are read through the library.
#pragma once
#include "formats/tensor_file.h"

namespace swa {

std::unique_ptr<TensorFileReader> open_hdf5_tensor_file(const std::string& path);
// A snapshot as above, or else a plain file whose datasets at the root are the tensors (h5py's
// `f["inputs"] = array`), in name order, with empty metadata.
std::unique_ptr<TensorFileReader> open_hdf5_data_file(const std::string& path);
// The metadata alone (root attributes): no tensor is looked at.
SnapshotMeta read_hdf5_snapshot_meta(const std::string& path);
std::unique_ptr<TensorFileWriter> create_hdf5_tensor_file(const std::string& path,
                                                          const StoredLayout& layout,
                                                          const WriteOptions& options);

}  // namespace swa
