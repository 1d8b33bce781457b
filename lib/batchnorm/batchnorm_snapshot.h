// swa-bn's job: a snapshot in, the same weights with re-estimated BatchNorm statistics out
// (bn_state = recomputed; provenance records the images used). With a built-in ResNet on CIFAR-10,
// or with any TorchScript model (--model) on any data source (lib/data/open_example_source.h);
// a model without BatchNorm gets the snapshot back unchanged, bn_state none.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "lib/batchnorm/recompute_batchnorm.h"
#include "lib/data/cifar10.h"
#include "lib/data/tensor_file_examples.h"

namespace swa {

struct BatchNormRequest {
  std::string input, output, arch_override;
  std::string state_dict_key;  // --key: the input's state dict, if a PyTorch file
  std::string model;           // a TorchScript file: its architecture instead of a built-in ResNet
  CifarSource data;            // data.dir: a CIFAR-10 folder, or with --model a tensor file
  TensorFileDataOptions tensors;
  Split split = Split::kTrain;
  int64_t samples = 0;  // 0: the whole split; else a fixed, seeded subset
  BatchNormPassOptions pass;
};

struct BatchNormSummary {
  std::string input, output, arch, split, device;
  std::string bn_state;            // recomputed, or none for a model without BatchNorm
  int64_t layers = -1;             // BatchNorm layers re-estimated (--model; -1: not counted)
  std::vector<std::string> notes;  // said once on stderr: the data, kept buffers, other norms
  BatchNormPass pass;              // what the statistics pass saw, its layout and why, its time
  double images_per_second = 0;    // of the pass
  double total_seconds = 0;        // reading and writing included
};

// Throws InputError before writing anything when the input, the data or the output path is
// unusable.
BatchNormSummary recompute_snapshot_batchnorm(const BatchNormRequest& request);

}  // namespace swa
