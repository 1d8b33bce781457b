// Snapshots as LibTorch tensors, whatever the container (see formats/tensor_file.h):
//   .h5 / .hdf5           native HDF5 (formats/SNAPSHOT.md), checksummed per tensor
//   .pt / .pth / .ckpt    PyTorch zip pickle: what Python's torch.load returns as dict[str, Tensor]
//   .safetensors          the Hugging Face safetensors layout
// A reader knows metadata and the tensor layout after opening and reads one tensor at a time,
// so going through many files never holds more than one tensor of each in memory.
// A writer takes tensors in layout order and publishes the file atomically on commit().
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "formats/snapshot_meta.h"
#include "formats/tensor_file.h"

namespace swa {

using StateDict = std::vector<std::pair<std::string, torch::Tensor>>;  // ordered

class SnapshotReader {
 public:
  explicit SnapshotReader(std::unique_ptr<TensorFileReader> file);
  const std::string& path() const { return file_->path(); }
  const SnapshotMeta& meta() const { return file_->meta(); }
  // The tensors' keys, element types and shapes: the container's own layout.
  const StoredLayout& layout() const { return file_->layout(); }
  // The same file at byte level.
  const TensorFileReader& file() const { return *file_; }
  // nullptr when the snapshot has no such tensor.
  const StoredTensor* find(const std::string& key) const;
  // A contiguous CPU tensor that owns its memory. Throws InputError naming the file and tensor
  // when the data cannot be read or fails its checksum.
  torch::Tensor read(const std::string& key);
  // Reads into `out`, a contiguous CPU tensor of the tensor's dtype and shape that the caller
  // reuses across calls (no allocation, no page faults on the hot path).
  void read_into(const std::string& key, torch::Tensor& out);

 private:
  std::unique_ptr<TensorFileReader> file_;
};

class SnapshotWriter {
 public:
  SnapshotWriter(std::unique_ptr<TensorFileWriter> file, std::string path, StoredLayout layout);
  // Tensors arrive in layout order, each matching its StoredTensor.
  void write(const std::string& key, const torch::Tensor& tensor);
  // Records the metadata, flushes, and renames into place. Without it, nothing appears.
  void commit(const SnapshotMeta& meta);

 private:
  std::unique_ptr<TensorFileWriter> file_;
  std::string path_;
  StoredLayout layout_;
  size_t next_ = 0;
};

// `state_dict_key`: ReadOptions::state_dict_key (formats/tensor_file.h), the tools' --key.
std::unique_ptr<SnapshotReader> open_snapshot(const std::string& path,
                                              const std::string& state_dict_key = "");
std::unique_ptr<SnapshotWriter> create_snapshot(const std::string& path, const StoredLayout& layout,
                                                const WriteOptions& options = {});

// Whole-file conveniences for small models and tests.
StateDict read_state_dict(SnapshotReader& reader);
void save_snapshot(const std::string& path, const SnapshotMeta& meta, const StateDict& state,
                   const WriteOptions& options = {});
// The layout of `state`; throws InputError naming `file` for a dtype no snapshot can hold.
StoredLayout layout_of(const StateDict& state, const std::string& file = "(state_dict)");

// Checks a tensor handed to a writer against the next expected layout entry.
void check_tensor_matches(const std::string& file, const StoredTensor& expected,
                          const std::string& key, const torch::Tensor& tensor);

}  // namespace swa
