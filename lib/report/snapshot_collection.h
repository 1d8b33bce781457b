// The snapshots of one report, held in memory once (metadata and tensors): every candidate
// subset is averaged from here without reading the files again. A full-size ResNet-50 takes
// about 94 MB per snapshot.
#pragma once
#include <string>
#include <vector>

#include "formats/snapshot.h"

namespace swa {

struct SnapshotEntry {
  std::string path;
  std::string name;  // the file name without its folder, e.g. "cycle-0003.h5"
  SnapshotMeta meta;
  StateDict state;
};

class SnapshotCollection {
 public:
  // Requires at least one entry; all with the same keys, dtypes and shapes (throws InputError).
  explicit SnapshotCollection(std::vector<SnapshotEntry> entries);
  // Reads every file whole. Throws InputError naming the file for unreadable, incompatible or
  // non-finite snapshots (a NaN anywhere would make every average containing it meaningless).
  // `builtin_architecture`: each must be a built-in ResNet for CIFAR-10 (its arch and classes
  // filled in); false for a TorchScript model, which checks the tensors itself.
  // `state_dict_key`: --key (formats/tensor_file.h).
  static SnapshotCollection load(const std::vector<std::string>& paths,
                                 bool builtin_architecture = true,
                                 const std::string& state_dict_key = "");

  size_t size() const { return entries_.size(); }
  const SnapshotEntry& operator[](size_t i) const { return entries_.at(i); }
  const std::string& arch() const { return entries_.front().meta.arch; }
  int64_t num_classes() const { return entries_.front().meta.num_classes; }

  // The uniform average of `members` (indices), bit for bit what `swa-average` of their files
  // writes (lib/averaging/summation_order.h): floating tensors summed in float64 in the order of
  // their metadata and real paths, divided once, and stored in their own dtype; other tensors
  // (num_batches_tracked) from the latest member. A single member returns that snapshot's tensors
  // unchanged.
  StateDict average(const std::vector<int>& members) const;

 private:
  std::vector<SnapshotEntry> entries_;
};

// True for tensors a training step changes: floating, and not BatchNorm running statistics.
bool is_trained_weight(const std::string& key, const torch::Tensor& t);

}  // namespace swa
