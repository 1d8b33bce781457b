#include "lib/data/open_example_source.h"

#include <filesystem>

#include "formats/input_error.h"
#include "lib/data/cifar10_examples.h"

namespace swa {

DataRequest data_request(const CifarSource& source, Split split,
                         const TensorFileDataOptions& tensors) {
  DataRequest out;
  out.path = source.dir;
  out.validation_size = source.validation_size;
  out.split = split;
  out.tensors = tensors;
  return out;
}

std::string split_label(const std::string& path, Split split) {
  return names_tensor_file(path) ? "file" : split_name(split);
}

bool names_tensor_file(const std::string& path) {
  std::error_code ec;
  return !path.empty() && !std::filesystem::is_directory(path, ec) &&
         std::filesystem::exists(path, ec);
}

std::unique_ptr<ExampleSource> open_example_source(const DataRequest& request) {
  if (request.path.empty()) throw InputError("--data", "required (or $SWA_DATA)");
  if (names_tensor_file(request.path)) {
    if (request.samples > 0)
      throw InputError("--samples", "takes a subset of a CIFAR folder, not of a tensor file");
    return open_tensor_file_examples(request.path, request.tensors);
  }
  return open_cifar10_examples({request.path, request.validation_size}, request.split,
                               request.samples, request.seed);
}

std::vector<std::string> data_files(const std::string& path) {
  if (names_tensor_file(path)) return {path};
  std::vector<std::string> out = cifar10_files(path);
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) return out;
  for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {  // train.*, val.*, ...
    const std::string stem = entry.path().stem().string();
    if (stem == "train" || stem == "val" || stem == "test") out.push_back(entry.path().string());
  }
  return out;
}

}  // namespace swa
