// Which container implementation a file gets: by its bytes when reading, by its name when writing.
#include "formats/hdf5_tensor_file.h"
#include "formats/input_error.h"
#include "formats/safetensors_tensor_file.h"
#include "formats/tensor_file.h"
#include "formats/torch_save_tensor_file.h"

namespace swa {

namespace {

std::unique_ptr<TensorFileReader> open_by_format(const std::string& path,
                                                 const ReadOptions& options) {
  switch (format_for_input(path)) {
    case SnapshotFormat::kHdf5:
      return options.kind == TensorFileKind::kData ? open_hdf5_data_file(path)
                                                   : open_hdf5_tensor_file(path);
    case SnapshotFormat::kTorchPickle:
      return open_torch_save_tensor_file(path, options.state_dict_key);
    case SnapshotFormat::kSafetensors:
      return open_safetensors_tensor_file(path);
  }
  throw std::logic_error("unreachable");
}

}  // namespace

// The identity is taken before the file is opened and compared after: a file replaced while its
// header and index were read is refused at once, and one changed later by check_unchanged().
std::unique_ptr<TensorFileReader> open_tensor_file(const std::string& path,
                                                   const ReadOptions& options) {
  const std::optional<FileIdentity> before = identity_of(path);
  auto reader = open_by_format(path, options);
  if (!before) throw InputError(path, "no such file");
  require_unchanged(path, *before);
  reader->identity_ = *before;
  return reader;
}

SnapshotMeta read_snapshot_meta(const std::string& path, const std::string& state_dict_key) {
  if (format_for_input(path) == SnapshotFormat::kHdf5) return read_hdf5_snapshot_meta(path);
  return open_tensor_file(path, {TensorFileKind::kSnapshot, state_dict_key})->meta();
}

std::unique_ptr<TensorFileWriter> create_tensor_file(const std::string& path,
                                                     const StoredLayout& layout,
                                                     const WriteOptions& options) {
  switch (format_for_path(path)) {
    case SnapshotFormat::kHdf5:
      return create_hdf5_tensor_file(path, layout, options);
    case SnapshotFormat::kTorchPickle:
      return create_torch_save_tensor_file(path, layout);
    case SnapshotFormat::kSafetensors:
      return create_safetensors_tensor_file(path, layout);
  }
  throw std::logic_error("unreachable");
}

}  // namespace swa
