#include "lib/data/tensor_file_examples.h"

#include <mutex>

#include "formats/input_error.h"
#include "formats/tensor_rows.h"
#include "formats/torch_element_type.h"

namespace swa {
namespace {

std::string held_keys(const TensorFileReader& file) {
  std::string out;
  size_t shown = 0;
  for (const auto& t : file.layout()) {
    if (shown++ == 8) return out + ", ...";
    out += (out.empty() ? "" : ", ") + t.key;
  }
  return out.empty() ? "no tensors" : out;
}

size_t require_tensor(const TensorFileReader& file, const std::string& key, const char* flag) {
  const int64_t i = file.find(key);
  if (i < 0) {
    throw InputError(file.path(), "no tensor '" + key + "' (it holds " + held_keys(file) + "); " +
                                      flag + " names another");
  }
  return static_cast<size_t>(i);
}

bool is_float(ElementType t) {
  return t == ElementType::kFloat32 || t == ElementType::kFloat16 || t == ElementType::kBFloat16 ||
         t == ElementType::kFloat64;
}

// Mean or std as a tensor broadcasting over dimension 1 of [B, C, ...] inputs.
torch::Tensor per_channel(const std::vector<double>& values, const StoredTensor& inputs,
                          const std::string& path, const char* flag) {
  const int64_t channels = inputs.shape.size() > 1 ? inputs.shape[1] : 1;
  if (values.size() != 1 && static_cast<int64_t>(values.size()) != channels) {
    throw InputError(path, inputs.key,
                     std::string(flag) + " has " + std::to_string(values.size()) +
                         " values; the inputs (" + describe_tensor(inputs) + ") have " +
                         std::to_string(channels) + " channels in dimension 1: give 1 or " +
                         std::to_string(channels));
  }
  std::vector<int64_t> shape(inputs.shape.size(), 1);
  if (shape.size() > 1) shape[1] = static_cast<int64_t>(values.size());
  return torch::tensor(values, torch::kDouble).to(torch::kFloat).view(shape);
}

class TensorFileExamples : public ExampleSource {
 public:
  TensorFileExamples(std::unique_ptr<TensorFileReader> file, const TensorFileDataOptions& options)
      : file_(std::move(file)), label_key_(options.label_key) {
    const std::string& path = file_->path();
    inputs_index_ = require_tensor(*file_, options.input_key, "--input-key");
    const StoredTensor& inputs = file_->layout()[inputs_index_];
    if (inputs.shape.size() < 2) {
      throw InputError(path, inputs.key,
                       describe_tensor(inputs) + ": expected [N, ...], one example per row");
    }
    pixels_ = inputs.type == ElementType::kUInt8;
    if (!pixels_ && !is_float(inputs.type)) {
      throw InputError(path, inputs.key,
                       describe_tensor(inputs) +
                           ": expected float (fed as stored) or uint8 pixels (with --mean/--std)");
    }
    if (pixels_ && (options.mean.empty() || options.std.empty())) {
      throw InputError(path, inputs.key,
                       describe_tensor(inputs) +
                           " holds raw pixels: give --mean and --std (of pixels scaled to [0, 1]) "
                           "so they are normalised as the model was trained");
    }
    if (!pixels_ && (!options.mean.empty() || !options.std.empty())) {
      throw InputError(
          path, inputs.key,
          describe_tensor(inputs) + " is fed as stored: --mean/--std apply to uint8 pixels only");
    }
    if (pixels_) {
      for (double s : options.std) {
        if (!(s > 0)) throw InputError("--std", "every value must be positive");
      }
      mean_ = per_channel(options.mean, inputs, path, "--mean");
      std_ = per_channel(options.std, inputs, path, "--std");
    }
    inputs_ = std::make_unique<TensorRows>(*file_, inputs_index_);
    const int64_t found = file_->find(options.label_key);
    if (found < 0 && options.labels_required)
      require_tensor(*file_, options.label_key, "--label-key");
    if (found >= 0) open_labels(static_cast<size_t>(found), inputs);
  }

  std::string description() const override {
    std::string out = "tensor file " + file_->path() + ": " + options_text(inputs_index_);
    if (labels_) out += ", " + options_text(labels_index_);
    if (pixels_) out += " (pixels / 255, then --mean/--std)";
    return out;
  }
  std::vector<std::string> files() const override { return {file_->path()}; }
  int64_t size() const override { return inputs_->rows(); }
  bool has_labels() const override { return labels_ != nullptr; }

  ExampleBatch batch(int64_t begin, int64_t end, at::Generator* augment) const override {
    if (augment) throw InputError(file_->path(), "a tensor file has no augmentation (--augment)");
    const std::lock_guard<std::mutex> lock(mutex_);
    const StoredTensor& t = file_->layout()[inputs_index_];
    std::vector<int64_t> shape = t.shape;
    shape[0] = end - begin;
    torch::Tensor raw = torch::empty(shape, torch::dtype(to_scalar_type(t.type)));
    inputs_->read(begin, end, raw.data_ptr());
    ExampleBatch out;
    out.inputs =
        pixels_ ? raw.to(torch::kFloat).div_(255).sub_(mean_).div_(std_) : raw.to(torch::kFloat);
    if (labels_) {
      out.labels = torch::empty({end - begin}, torch::kLong);
      labels_->read(begin, end, out.labels.data_ptr());
    }
    // The last batch: a file replaced or written to during the pass fed the model mixed data.
    if (end == inputs_->rows()) file_->check_unchanged();
    return out;
  }

  torch::Tensor labels(int64_t begin, int64_t end) const override {
    if (!labels_) throw InputError(file_->path(), "holds no labels ('" + label_key_ + "')");
    const std::lock_guard<std::mutex> lock(mutex_);
    torch::Tensor out = torch::empty({end - begin}, torch::kLong);
    labels_->read(begin, end, out.data_ptr());
    return out;
  }

  void require_labels_below(int64_t classes) const override {
    if (!labels_) return;
    const std::lock_guard<std::mutex> lock(mutex_);
    const int64_t n = labels_->rows(), step = 1 << 16;
    torch::Tensor part = torch::empty({step}, torch::kLong);
    for (int64_t begin = 0; begin < n; begin += step) {
      const int64_t end = std::min(n, begin + step);
      labels_->read(begin, end, part.data_ptr());
      const torch::Tensor used = part.slice(0, 0, end - begin);
      const int64_t low = used.min().item<int64_t>(), high = used.max().item<int64_t>();
      if (low < 0 || high >= classes) {
        const int64_t bad = low < 0 ? low : high;
        const int64_t row = begin + (used == bad).nonzero()[0][0].item<int64_t>();
        throw InputError(file_->path(), file_->layout()[labels_index_].key,
                         "label " + std::to_string(bad) + " at row " + std::to_string(row) +
                             " is outside 0.." + std::to_string(classes - 1) + " (the model has " +
                             std::to_string(classes) + " outputs)");
      }
    }
  }

 private:
  void open_labels(size_t index, const StoredTensor& inputs) {
    const StoredTensor& labels = file_->layout()[index];
    if (labels.type != ElementType::kInt64 || labels.shape.size() != 1) {
      throw InputError(file_->path(), labels.key,
                       describe_tensor(labels) + ": expected int64 [N] (torch.long class indices)");
    }
    if (labels.shape[0] != inputs.shape[0]) {
      throw InputError(file_->path(), labels.key,
                       std::to_string(labels.shape[0]) + " labels for " +
                           std::to_string(inputs.shape[0]) + " inputs ('" + inputs.key + "' is " +
                           describe_tensor(inputs) + ")");
    }
    labels_index_ = index;
    labels_ = std::make_unique<TensorRows>(*file_, index);
  }

  std::string options_text(size_t index) const {
    const StoredTensor& t = file_->layout()[index];
    return t.key + " " + describe_tensor(t);
  }

  std::unique_ptr<TensorFileReader> file_;
  std::string label_key_;
  size_t inputs_index_ = 0, labels_index_ = 0;
  bool pixels_ = false;
  torch::Tensor mean_, std_;
  mutable std::mutex mutex_;  // TensorRows keeps reading state
  std::unique_ptr<TensorRows> inputs_, labels_;
};

}  // namespace

std::unique_ptr<ExampleSource> open_tensor_file_examples(const std::string& path,
                                                         const TensorFileDataOptions& options) {
  return std::make_unique<TensorFileExamples>(open_tensor_file(path, {TensorFileKind::kData, ""}),
                                              options);
}

}  // namespace swa
