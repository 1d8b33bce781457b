#include "formats/tensor_file.h"

#include <algorithm>
#include <cstring>

#include "formats/input_error.h"
#include "formats/readable_file.h"

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

std::optional<SnapshotFormat> format_for_extension(const std::string& path) {
  const std::string ext = lowercase_extension(path);
  if (ext == ".h5" || ext == ".hdf5") return SnapshotFormat::kHdf5;
  if (ext == ".pt" || ext == ".pth" || ext == ".ckpt" || ext == ".bin")
    return SnapshotFormat::kTorchPickle;
  if (ext == ".safetensors") return SnapshotFormat::kSafetensors;
  return std::nullopt;
}

const char* usual_extension(SnapshotFormat f) {
  switch (f) {
    case SnapshotFormat::kHdf5:
      return ".h5";
    case SnapshotFormat::kTorchPickle:
      return ".pt";
    case SnapshotFormat::kSafetensors:
      return ".safetensors";
  }
  return "";
}

}  // namespace

int64_t StoredTensor::numel() const {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

void check_tensor_size(const std::string& path, const StoredTensor& t, int64_t available) {
  int64_t bytes = element_size(t.type);
  for (const int64_t d : t.shape) {
    if (d < 0 || (d > 0 && bytes > kMaxTensorBytes / d)) {
      throw InputError(path, t.key, "has an impossible shape " + describe_tensor(t));
    }
    bytes *= d;
  }
  if (bytes > available) {
    throw InputError(path, t.key,
                     describe_tensor(t) + " needs " + std::to_string(bytes) +
                         " bytes, more than the file can hold for it (" +
                         std::to_string(available) + "): corrupt or not a snapshot");
  }
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
    SegmentChecksum sum;
    read_range(i, begin, ends[s] - begin, static_cast<char*>(dst) + begin, sum);
    verify_segment(i, s, sum);
    begin = ends[s];
  }
}

bool has_snapshot_extension(const std::string& path) {
  return format_for_extension(path).has_value() && lowercase_extension(path) != ".bin";
}

SnapshotFormat format_for_path(const std::string& path) {
  if (auto f = format_for_extension(path)) return *f;
  throw InputError(path, "unknown snapshot extension '" + lowercase_extension(path) +
                             "' (expected .h5, .hdf5, .pt, .pth, .ckpt, .bin or .safetensors)");
}

std::optional<SnapshotFormat> format_from_bytes(const std::string& path) {
  const ReadableFile file(path);
  unsigned char head[16] = {};
  const uint64_t n = std::min<uint64_t>(file.size(), sizeof head);
  file.read_exact(head, n, 0, "header");
  if (n >= 4 &&
      (std::memcmp(head, "PK\x03\x04", 4) == 0 || std::memcmp(head, "PK\x05\x06", 4) == 0)) {
    return SnapshotFormat::kTorchPickle;  // torch.save's zip archive
  }
  if (n >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5)
    return SnapshotFormat::kTorchPickle;  // a pickle
  if (n >= 8 && std::memcmp(head, "\x89HDF\r\n\x1a\n", 8) == 0) return SnapshotFormat::kHdf5;
  if (n >= 9) {
    uint64_t header_bytes = 0;
    std::memcpy(&header_bytes, head, 8);
    if (head[8] == '{' && header_bytes >= 2 && header_bytes <= file.size() - 8)
      return SnapshotFormat::kSafetensors;
  }
  return std::nullopt;
}

SnapshotFormat format_for_input(const std::string& path) {
  const auto named = format_for_extension(path);
  const auto bytes = format_from_bytes(path);
  if (!bytes) return format_for_path(path);  // the container's own reader says what is wrong
  if (named && *named != *bytes) {
    throw InputError(path, "is named as a " + format_name(*named) + " file but its bytes are a " +
                               format_name(*bytes) + " file; rename it to " +
                               usual_extension(*bytes));
  }
  return *bytes;
}

std::string format_name(SnapshotFormat f) {
  switch (f) {
    case SnapshotFormat::kHdf5:
      return "hdf5";
    case SnapshotFormat::kTorchPickle:
      return "pytorch";
    case SnapshotFormat::kSafetensors:
      return "safetensors";
  }
  return "unknown";
}

}  // namespace swa
