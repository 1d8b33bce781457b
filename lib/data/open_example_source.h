// --data as the tools take it: the kind of data recognised from what is on disk.
//   a file      a tensor file (lib/data/tensor_file_examples.h)
//   a folder    CIFAR-10's binary layout (lib/data/cifar10.h)
#pragma once
#include <memory>
#include <string>

#include "lib/data/cifar10.h"
#include "lib/data/example_source.h"
#include "lib/data/tensor_file_examples.h"

namespace swa {

struct DataRequest {
  std::string path;  // --data
  int64_t validation_size = kDefaultValidationSize;
  Split split = Split::kTest;  // of a CIFAR folder
  int64_t samples = 0;         // > 0: a seeded subset (CIFAR folders)
  uint64_t seed = 0;
  TensorFileDataOptions tensors;
};

// A request for `source.dir`'s `split`, tensor files read with `tensors`.
DataRequest data_request(const CifarSource& source, Split split,
                         const TensorFileDataOptions& tensors);

// The split a tool's output names: "file" for a tensor file (the file is the split), else the
// CIFAR split's name.
std::string split_label(const std::string& path, Split split);

// Whether --data names a tensor file rather than a folder.
bool names_tensor_file(const std::string& path);
// Throws InputError naming the path when it is neither, or what it holds does not fit.
std::unique_ptr<ExampleSource> open_example_source(const DataRequest& request);
// The files open_example_source or swa-report would read (for formats/output_guard.h): a tensor
// file, a CIFAR-10 folder's, a folder's train.*, val.*, test.*; none when unknown.
std::vector<std::string> data_files(const std::string& path);

}  // namespace swa
