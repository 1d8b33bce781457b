// Weighted average of snapshots, streamed tensor by tensor.
// Requires: inputs share keys, shapes, dtypes and architecture (checked: InputError otherwise),
// each file named once (by device and inode, whatever the spelling).
// Ensures: tensors are matched by name, whatever order each file stores them in; the output keeps
// the order of `base` when given, else of the first input. Floating tensors selected by `layers`
// are summed in float64 (weights scaled so the largest is 1, in the order of
// lib/averaging/summation_order.h: metadata, then real path), divided once by the weights' total
// and written in their input dtype as torch's Tensor::to rounds a float64 tensor; so permuting,
// renaming or linking the inputs does not change a bit, and N copies of one snapshot average to
// it exactly. Other tensors (num_batches_tracked, tensors outside `layers`) come from `base`, by
// default the latest input (the last in summation order, whatever the command line's order). An
// input replaced or written to while it is read is an error, and the SHA-256 recorded for each
// input is of the bytes that were averaged. Peak memory is one float64
// tensor, one output tensor and a small block per thread, whatever the number of inputs (plus
// the output for .pt, whose container is written whole). Nothing appears at `output` unless
// everything succeeded. Torch-free: swa-average runs without loading LibTorch.
#pragma once
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "formats/tensor_file.h"

namespace swa {

struct AverageRequest {
  std::vector<std::string> inputs;  // in selection order
  std::vector<double> weights;      // parallel to inputs: non-negative, finite, any scale
  std::string weighting = "uniform";
  std::string output;
  std::string base;             // empty: the latest input (epoch, step, then real path)
  std::string state_dict_key;   // --key: PyTorch files' state dict (formats/tensor_file.h)
  std::string layers_pattern;   // empty: every floating tensor
  double soft_threshold = 0.0;  // > 0: L1 shrink of averaged conv/linear weights
  WriteOptions write_options;
  int threads = 0;        // 0: every core; 1: everything, hashing too, on this thread
  bool progress = false;  // a bar on stderr (only drawn on a terminal)
};

struct AverageSummary {
  int64_t tensors_averaged = 0;
  int64_t tensors_from_base = 0;
  std::string bn_state;
  int64_t thresholded_elements = 0;  // elements of the conv/linear weights shrunk
  int64_t zero_elements = 0;         // of those, how many are exactly zero afterwards
  double sparsity() const {
    return thresholded_elements ? static_cast<double>(zero_elements) / thresholded_elements : 0.0;
  }
  std::vector<std::string> sha256;  // parallel to inputs
  SnapshotMeta output_meta;
};

AverageSummary average_snapshots(const AverageRequest& request);

}  // namespace swa
