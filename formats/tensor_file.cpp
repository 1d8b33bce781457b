#include "formats/tensor_file.h"

#include <algorithm>

#include "formats/input_error.h"

namespace swa {
namespace {

std::string lowercase_extension(const std::string& path) {
  auto slash = path.find_last_of('/');
  auto dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  std::string ext = path.substr(dot);
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return ext;
}

}  // namespace

int64_t StoredTensor::numel() const {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::string describe_tensor(const StoredTensor& t) {
  std::string s = std::string(element_type_name(t.type)) + " [";
  for (size_t i = 0; i < t.shape.size(); ++i) s += (i ? ", " : "") + std::to_string(t.shape[i]);
  return s + "]";
}

int64_t TensorFileReader::find(const std::string& key) const {
  for (size_t i = 0; i < layout_.size(); ++i) {
    if (layout_[i].key == key) return static_cast<int64_t>(i);
  }
  return -1;
}

void TensorFileReader::read_tensor(size_t i, void* dst) const {
  int64_t begin = 0;
  const auto ends = segment_ends(i);
  for (size_t s = 0; s < ends.size(); ++s) {
    Fletcher32 sum;
    read_range(i, begin, ends[s] - begin, static_cast<char*>(dst) + begin, sum);
    verify_segment(i, s, sum);
    begin = ends[s];
  }
}

bool has_snapshot_extension(const std::string& path) {
  const std::string ext = lowercase_extension(path);
  return ext == ".h5" || ext == ".hdf5" || ext == ".pt" || ext == ".pth" || ext == ".ckpt" ||
         ext == ".safetensors";
}

SnapshotFormat format_for_path(const std::string& path) {
  const std::string ext = lowercase_extension(path);
  if (ext == ".h5" || ext == ".hdf5") return SnapshotFormat::kHdf5;
  if (ext == ".pt" || ext == ".pth" || ext == ".ckpt") return SnapshotFormat::kTorchPickle;
  if (ext == ".safetensors") return SnapshotFormat::kSafetensors;
  throw InputError(path, "unknown snapshot extension '" + ext +
                             "' (expected .h5, .hdf5, .pt, .pth, .ckpt or .safetensors)");
}

std::string format_name(SnapshotFormat f) {
  switch (f) {
    case SnapshotFormat::kHdf5: return "hdf5";
    case SnapshotFormat::kTorchPickle: return "pytorch";
    case SnapshotFormat::kSafetensors: return "safetensors";
  }
  return "unknown";
}

}  // namespace swa
