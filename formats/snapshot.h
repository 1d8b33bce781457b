// Snapshot I/O behind one streaming interface, whatever the container:
//   .h5 / .hdf5           native HDF5 (formats/SNAPSHOT.md), checksummed per tensor
//   .pt / .pth / .ckpt    PyTorch zip pickle: what Python's torch.load returns as dict[str, Tensor]
//   .safetensors          the Hugging Face safetensors layout
// A reader knows metadata and the tensor layout after opening and reads one tensor at a time,
// so averaging many files never holds more than one tensor of each in memory.
// A writer takes tensors in layout order and publishes the file atomically on commit().
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "formats/snapshot_meta.h"

namespace swa {

struct TensorInfo {
  std::string key;  // state_dict key, e.g. "layer1.0.conv1.weight"
  torch::ScalarType dtype = torch::kFloat;
  std::vector<int64_t> shape;

  int64_t numel() const;
  int64_t nbytes() const;
  bool operator==(const TensorInfo& o) const {
    return key == o.key && dtype == o.dtype && shape == o.shape;
  }
};
using TensorLayout = std::vector<TensorInfo>;
using StateDict = std::vector<std::pair<std::string, torch::Tensor>>;  // ordered

enum class SnapshotFormat { kHdf5, kTorchPickle, kSafetensors };

// From the file name's extension; throws InputError for an unknown one.
SnapshotFormat format_for_path(const std::string& path);
bool has_snapshot_extension(const std::string& path);
std::string format_name(SnapshotFormat f);

class SnapshotReader {
 public:
  virtual ~SnapshotReader() = default;
  const std::string& path() const { return path_; }
  const SnapshotMeta& meta() const { return meta_; }
  const TensorLayout& layout() const { return layout_; }
  // nullptr when the snapshot has no such tensor.
  const TensorInfo* find(const std::string& key) const;
  // A contiguous CPU tensor that owns its memory. Throws InputError naming the file and tensor
  // when the data cannot be read or fails its checksum. By default: allocate, then read_into.
  virtual torch::Tensor read(const std::string& key);
  // Reads into `out`, a contiguous CPU tensor of the tensor's dtype and shape that the caller
  // reuses across calls (no allocation, no page faults on the hot path).
  virtual void read_into(const std::string& key, torch::Tensor& out) = 0;

 protected:
  explicit SnapshotReader(std::string path) : path_(std::move(path)) {}
  // The layout entry for `key`, checking that `out` fits it; throws InputError for a missing key.
  const TensorInfo& checked_target(const std::string& key, const torch::Tensor& out) const;
  std::string path_;
  SnapshotMeta meta_;
  TensorLayout layout_;
};

struct WriteOptions {
  bool compress = false;  // HDF5 only: shuffle + deflate (smaller, reads ~3x slower)
};

class SnapshotWriter {
 public:
  virtual ~SnapshotWriter() = default;  // without commit(): nothing appears at the final path
  // Tensors arrive in layout order, each matching its TensorInfo.
  virtual void write(const std::string& key, const torch::Tensor& tensor) = 0;
  // Records the metadata, flushes, and renames into place.
  virtual void commit(const SnapshotMeta& meta) = 0;
};

std::unique_ptr<SnapshotReader> open_snapshot(const std::string& path);
std::unique_ptr<SnapshotWriter> create_snapshot(const std::string& path, const TensorLayout& layout,
                                                const WriteOptions& options = {});

// Whole-file conveniences for small models and tests.
StateDict read_state_dict(SnapshotReader& reader);
void save_snapshot(const std::string& path, const SnapshotMeta& meta, const StateDict& state,
                   const WriteOptions& options = {});
TensorLayout layout_of(const StateDict& state);

// Checks a tensor handed to a writer against the next expected layout entry.
void check_tensor_matches(const std::string& file, const TensorInfo& expected,
                          const std::string& key, const torch::Tensor& tensor);

}  // namespace swa
