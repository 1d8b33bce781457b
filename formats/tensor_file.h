// Snapshot files as bytes: the torch-free layer under formats/snapshot.h.
// A reader knows the metadata and the tensor layout after opening and copies any byte range of a
// stored tensor (little-endian elements) into caller memory, from several threads at once, never
// holding more than the caller asked for. Stored checksums (HDF5 fletcher32) cover "segments" of
// a tensor; callers sum the bytes they read into one Fletcher32 per segment and verify it.
// A writer takes whole tensors in layout order and publishes the file atomically on commit().
// swa-average streams through this layer without loading LibTorch; .pt files go through a
// LibTorch plugin loaded only when one is named (formats/torch_pickle_plugin.h).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "formats/element_type.h"
#include "formats/fletcher32.h"
#include "formats/snapshot_meta.h"

namespace swa {

struct StoredTensor {
  std::string key;  // state_dict key, e.g. "layer1.0.conv1.weight"
  ElementType type = ElementType::kFloat32;
  std::vector<int64_t> shape;

  int64_t numel() const;
  int64_t nbytes() const { return numel() * element_size(type); }
  bool operator==(const StoredTensor& o) const {
    return key == o.key && type == o.type && shape == o.shape;
  }
};
using StoredLayout = std::vector<StoredTensor>;

// "float32 [64, 3, 7, 7]"
std::string describe_tensor(const StoredTensor& t);

class TensorFileReader {
 public:
  virtual ~TensorFileReader() = default;
  const std::string& path() const { return path_; }
  const SnapshotMeta& meta() const { return meta_; }
  const StoredLayout& layout() const { return layout_; }
  // Index of `key` in layout(), or -1.
  int64_t find(const std::string& key) const;

  // End offsets (bytes) of tensor i's checksummed segments; the last is nbytes().
  virtual std::vector<int64_t> segment_ends(size_t i) const { return {layout_[i].nbytes()}; }
  // False when only whole segments can be read (compressed HDF5 chunks).
  virtual bool reads_any_range() const { return true; }
  // Copies bytes [first, first + n) of tensor i into dst, inside one segment; adds them to
  // `sum` (fletcher32 of that segment). Thread-safe. Throws InputError naming file and tensor.
  virtual void read_range(size_t i, int64_t first, int64_t n, void* dst, Fletcher32& sum) const = 0;
  // Throws InputError when segment s of tensor i, summed completely into `sum`, fails its
  // stored checksum. A no-op for containers without checksums.
  virtual void verify_segment(size_t /*i*/, size_t /*s*/, const Fletcher32& /*sum*/) const {}

  // Reads and verifies all of tensor i into dst (nbytes() bytes).
  void read_tensor(size_t i, void* dst) const;

 protected:
  explicit TensorFileReader(std::string path) : path_(std::move(path)) {}
  std::string path_;
  SnapshotMeta meta_;
  StoredLayout layout_;
};

struct WriteOptions {
  bool compress = false;  // HDF5 only: shuffle + deflate (smaller, reads ~3x slower)
};

class TensorFileWriter {
 public:
  virtual ~TensorFileWriter() = default;  // without commit(): nothing appears at the final path
  // Tensor `index` of the layout, `layout[index].nbytes()` little-endian bytes; in layout order.
  virtual void write(size_t index, const void* bytes) = 0;
  // Records the metadata, flushes, and renames into place.
  virtual void commit(const SnapshotMeta& meta) = 0;
};

enum class SnapshotFormat { kHdf5, kTorchPickle, kSafetensors };

// From the file name's extension; throws InputError for an unknown one.
SnapshotFormat format_for_path(const std::string& path);
bool has_snapshot_extension(const std::string& path);
std::string format_name(SnapshotFormat f);

std::unique_ptr<TensorFileReader> open_tensor_file(const std::string& path);
// What open_tensor_file(path)->meta() returns, without mapping the tensors where that is cheaper.
SnapshotMeta read_snapshot_meta(const std::string& path);
std::unique_ptr<TensorFileWriter> create_tensor_file(const std::string& path, const StoredLayout& layout,
                                                     const WriteOptions& options = {});

}  // namespace swa
