#include "formats/snapshot.h"

#include <algorithm>

#include "formats/hdf5_snapshot.h"
#include "formats/input_error.h"
#include "formats/safetensors_snapshot.h"
#include "formats/torch_pickle_snapshot.h"

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

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

int64_t TensorInfo::nbytes() const {
  return numel() * static_cast<int64_t>(c10::elementSize(dtype));
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

const TensorInfo* SnapshotReader::find(const std::string& key) const {
  for (const auto& info : layout_) {
    if (info.key == key) return &info;
  }
  return nullptr;
}

torch::Tensor SnapshotReader::read(const std::string& key) {
  const TensorInfo* info = find(key);
  if (!info) throw InputError(path_, key, "no such tensor in this snapshot");
  torch::Tensor t = torch::empty(info->shape, torch::TensorOptions().dtype(info->dtype));
  read_into(key, t);
  return t;
}

const TensorInfo& SnapshotReader::checked_target(const std::string& key, const torch::Tensor& out) const {
  const TensorInfo* info = find(key);
  if (!info) throw InputError(path_, key, "no such tensor in this snapshot");
  TORCH_CHECK(out.is_contiguous() && out.scalar_type() == info->dtype && out.sizes().vec() == info->shape,
              "read_into: the buffer does not match tensor ", key);
  return *info;
}

std::unique_ptr<SnapshotReader> open_snapshot(const std::string& path) {
  switch (format_for_path(path)) {
    case SnapshotFormat::kHdf5: return open_hdf5_snapshot(path);
    case SnapshotFormat::kTorchPickle: return open_torch_pickle_snapshot(path);
    case SnapshotFormat::kSafetensors: return open_safetensors_snapshot(path);
  }
  throw std::logic_error("unreachable");
}

std::unique_ptr<SnapshotWriter> create_snapshot(const std::string& path, const TensorLayout& layout,
                                                const WriteOptions& options) {
  switch (format_for_path(path)) {
    case SnapshotFormat::kHdf5: return create_hdf5_snapshot(path, layout, options);
    case SnapshotFormat::kTorchPickle: return create_torch_pickle_snapshot(path, layout);
    case SnapshotFormat::kSafetensors: return create_safetensors_snapshot(path, layout);
  }
  throw std::logic_error("unreachable");
}

StateDict read_state_dict(SnapshotReader& reader) {
  StateDict state;
  for (const auto& info : reader.layout()) state.emplace_back(info.key, reader.read(info.key));
  return state;
}

TensorLayout layout_of(const StateDict& state) {
  TensorLayout layout;
  for (const auto& [key, t] : state) {
    layout.push_back({key, t.scalar_type(), t.sizes().vec()});
  }
  return layout;
}

void save_snapshot(const std::string& path, const SnapshotMeta& meta, const StateDict& state,
                   const WriteOptions& options) {
  auto writer = create_snapshot(path, layout_of(state), options);
  for (const auto& [key, t] : state) writer->write(key, t);
  writer->commit(meta);
}

void check_tensor_matches(const std::string& file, const TensorInfo& expected,
                          const std::string& key, const torch::Tensor& tensor) {
  if (key != expected.key) {
    throw std::logic_error(file + ": tensor '" + key + "' written out of order (expected '" +
                           expected.key + "')");
  }
  if (tensor.scalar_type() != expected.dtype || tensor.sizes().vec() != expected.shape) {
    throw std::logic_error(file + ": tensor '" + key + "' does not match the declared layout");
  }
}

}  // namespace swa
