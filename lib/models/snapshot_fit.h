// How a snapshot's tensors fit a model's parameters and buffers, as load_state_dict(strict=True)
// judges it, with TorchScript's one difference: it does not record whether a buffer is persistent,
// so a buffer the snapshot lacks (a non-persistent one) keeps the model's value, except BatchNorm's
// statistics, which are always persistent. Torch-free: swa-inspect --model reads the model's
// tensors from the file (formats/torchscript_archive.h), swa-bn and swa-eval from LibTorch
// (lib/models/scripted_model.h); both judge here.
#pragma once
#include <string>
#include <vector>

#include "formats/tensor_file.h"

namespace swa {

struct ModelTensor {
  StoredTensor tensor;    // its state_dict key, dtype and shape in the model
  bool required = false;  // a parameter or a BatchNorm statistic: the snapshot must hold it
};

struct SnapshotFit {
  std::vector<std::string> missing;     // required tensors the snapshot lacks
  std::vector<std::string> unexpected;  // snapshot keys the model lacks
  std::vector<std::string>
      mismatched;                 // "key: float32 [3] in the snapshot, float32 [4] in the model"
  std::vector<std::string> kept;  // other buffers the snapshot lacks: the model's values
  bool fits() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  // "2 missing from the snapshot (a, b); 1 not in the model (c)": the first five of each list.
  std::string problems() const;
};

SnapshotFit fit_snapshot(const std::vector<ModelTensor>& model, const StoredLayout& snapshot);

// One line naming the buffers that kept the model file's values.
std::string kept_buffers_note(const SnapshotFit& fit);

// "a, b, c, ...": the first `few` names.
std::string first_few(const std::vector<std::string>& names, size_t few = 5);

}  // namespace swa
