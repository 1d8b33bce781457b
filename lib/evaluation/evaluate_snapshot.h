// swa-eval's job: a snapshot's quality (metrics, throughput, warnings) on a CIFAR-10 split, with a
// built-in ResNet, or with any TorchScript model (--model) on any data source
// (lib/data/open_example_source.h).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "lib/data/cifar10.h"
#include "lib/data/tensor_file_examples.h"
#include "lib/evaluation/classification_metrics.h"
#include "lib/evaluation/predict.h"

namespace swa {

struct EvaluationRequest {
  std::string checkpoint, arch_override;
  std::string state_dict_key;  // --key: the checkpoint's state dict, if a PyTorch file
  std::string model;           // a TorchScript file: its architecture instead of a built-in ResNet
  CifarSource data;            // data.dir: a CIFAR-10 folder, or with --model a tensor file
  Split split = Split::kTest;
  TensorFileDataOptions tensors;
  PredictOptions predict;
};

struct Evaluation {
  std::string checkpoint, arch, bn_state, split, device;
  ClassificationMetrics metrics;
  std::vector<std::string> class_names;  // the data's, in label order
  std::string engine;                    // which inference engine ran
  ChoiceSource engine_source;            // and why (predict.h)
  EngineTiming engine_timing;            // both engines' images/s when measured
  double setup_seconds = 0;              // preparing the model for the pass (predict.h)
  double forward_seconds = 0;            // the forward pass alone
  double images_per_second = 0;          // of the forward pass
  double total_seconds = 0;              // reading the model and the data included
  std::vector<std::string> warnings;     // e.g. averaged BatchNorm statistics
  std::vector<std::string> notes;        // said once on stderr: the data, kept buffers, outputs
  // Below float32 (PredictOptions::precision): a float32 pass over the same images with the same
  // model, which says what the lower precision changed.
  struct Float32Pass {
    ClassificationMetrics metrics;
    double images_per_second = 0;
  };
  std::optional<Float32Pass> float32;
};

// Throws InputError on unusable input.
Evaluation evaluate_snapshot(const EvaluationRequest& request);
// The warning for a checkpoint whose bn_state is averaged.
std::string averaged_statistics_warning(const std::string& checkpoint);
// The --model path of evaluate_snapshot (lib/evaluation/evaluate_scripted.cpp).
Evaluation evaluate_scripted_snapshot(const EvaluationRequest& request);

}  // namespace swa
