#include "formats/snapshot.h"

#include "formats/input_error.h"
#include "formats/torch_element_type.h"

namespace swa {

SnapshotReader::SnapshotReader(std::unique_ptr<TensorFileReader> file) : file_(std::move(file)) {}

const StoredTensor* SnapshotReader::find(const std::string& key) const {
  const int64_t i = file_->find(key);
  return i < 0 ? nullptr : &layout()[static_cast<size_t>(i)];
}

torch::Tensor SnapshotReader::read(const std::string& key) {
  const StoredTensor* info = find(key);
  if (!info) throw InputError(path(), key, "no such tensor in this snapshot");
  torch::Tensor t =
      torch::empty(info->shape, torch::TensorOptions().dtype(to_scalar_type(info->type)));
  read_into(key, t);
  return t;
}

void SnapshotReader::read_into(const std::string& key, torch::Tensor& out) {
  const int64_t i = file_->find(key);
  if (i < 0) throw InputError(path(), key, "no such tensor in this snapshot");
  const StoredTensor& info = layout()[static_cast<size_t>(i)];
  TORCH_CHECK(out.is_cpu() && out.is_contiguous() &&
                  out.scalar_type() == to_scalar_type(info.type) && out.sizes().vec() == info.shape,
              "read_into: the buffer does not match tensor ", key);
  file_->read_tensor(static_cast<size_t>(i), out.data_ptr());
}

SnapshotWriter::SnapshotWriter(std::unique_ptr<TensorFileWriter> file, std::string path,
                               StoredLayout layout)
    : file_(std::move(file)), path_(std::move(path)), layout_(std::move(layout)) {}

void SnapshotWriter::write(const std::string& key, const torch::Tensor& tensor) {
  if (next_ >= layout_.size()) throw std::logic_error("more tensors written than declared");
  check_tensor_matches(path_, layout_[next_], key, tensor);
  const torch::Tensor t = tensor.to(torch::kCPU).contiguous();
  file_->write(next_++, t.data_ptr());
}

void SnapshotWriter::commit(const SnapshotMeta& meta) {
  if (next_ != layout_.size()) throw std::logic_error("commit before all tensors were written");
  file_->commit(meta);
}

std::unique_ptr<SnapshotReader> open_snapshot(const std::string& path,
                                              const std::string& state_dict_key) {
  return std::make_unique<SnapshotReader>(
      open_tensor_file(path, {TensorFileKind::kSnapshot, state_dict_key}));
}

std::unique_ptr<SnapshotWriter> create_snapshot(const std::string& path, const StoredLayout& layout,
                                                const WriteOptions& options) {
  auto file = create_tensor_file(path, layout, options);
  return std::make_unique<SnapshotWriter>(std::move(file), path, layout);
}

StateDict read_state_dict(SnapshotReader& reader) {
  StateDict state;
  for (const auto& info : reader.layout()) state.emplace_back(info.key, reader.read(info.key));
  return state;
}

StoredLayout layout_of(const StateDict& state, const std::string& file) {
  StoredLayout layout;
  for (const auto& [key, t] : state) {
    layout.push_back({key, to_element_type(t.scalar_type(), file, key), t.sizes().vec()});
  }
  return layout;
}

void save_snapshot(const std::string& path, const SnapshotMeta& meta, const StateDict& state,
                   const WriteOptions& options) {
  auto writer = create_snapshot(path, layout_of(state, path), options);
  for (const auto& [key, t] : state) writer->write(key, t);
  writer->commit(meta);
}

void check_tensor_matches(const std::string& file, const StoredTensor& expected,
                          const std::string& key, const torch::Tensor& tensor) {
  if (key != expected.key) {
    throw std::logic_error(file + ": tensor '" + key + "' written out of order (expected '" +
                           expected.key + "')");
  }
  if (tensor.scalar_type() != to_scalar_type(expected.type) ||
      tensor.sizes().vec() != expected.shape) {
    throw std::logic_error(file + ": tensor '" + key + "' does not match the declared layout");
  }
}

}  // namespace swa
