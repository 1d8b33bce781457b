// A data set kept as one tensor file (.safetensors, .h5, .pt; read torch-free, as snapshots are):
// `inputs` [N, ...] and `labels` int64 [N] (other names with --input-key / --label-key). Batches
// are read from the file by offset (formats/tensor_rows.h): memory holds one batch, never the set.
// Float inputs (float32, float16, bfloat16, float64) are fed to the model as stored, in float32;
// uint8 inputs are pixels, scaled by 1/255 and normalised with --mean/--std, which they need.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "lib/data/example_source.h"

namespace swa {

struct TensorFileDataOptions {
  std::string input_key = "inputs";
  std::string label_key = "labels";
  bool labels_required = true;  // swa-bn reads inputs only
  // Per channel (dimension 1) or one value for all; uint8 inputs only.
  std::vector<double> mean, std;
};

// Throws InputError naming the file and tensor for a missing tensor, a shape or type that does not
// fit, N that differs between inputs and labels, or uint8 inputs without --mean/--std.
std::unique_ptr<ExampleSource> open_tensor_file_examples(const std::string& path,
                                                         const TensorFileDataOptions& options);

}  // namespace swa
