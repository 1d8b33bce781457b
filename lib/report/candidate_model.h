// The model a report scores its candidates with, and the data it runs on: the built-in ResNets on
// CIFAR-10 (builtin_candidate_model.cpp) or any TorchScript model on any data source
// (scripted_candidate_model.cpp). The scorer (candidate_scorer.h) loads each candidate's weights,
// re-estimates BatchNorm where asked, and takes the logits of a split.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "formats/snapshot.h"
#include "lib/data/cifar10.h"
#include "lib/data/example_source.h"
#include "lib/report/candidate_options.h"

namespace swa {

enum class ReportSplit { kValidation, kTest };

class CandidateModel {
 public:
  virtual ~CandidateModel() = default;
  // Copies a candidate's tensors in (keys, shapes and dtypes as the snapshots'). Throws
  // InputError naming `what` when they do not fit.
  virtual void load(const StateDict& state, const std::string& what) = 0;
  // BatchNorm statistics re-estimated for the weights loaded, on the report's BatchNorm images.
  virtual void recompute_batchnorm(const ScoringOptions& options) = 0;
  // The BatchNorm statistics now loaded, by state_dict key (for reuse on another split).
  virtual std::vector<std::pair<std::string, torch::Tensor>> batchnorm_statistics() = 0;
  // Logits [images, classes] of the weights loaded on a split (CPU float32).
  virtual torch::Tensor logits(ReportSplit split, const ScoringOptions& options) = 0;
  virtual torch::Tensor labels(ReportSplit split) const = 0;  // int64 [images]
  virtual int64_t images(ReportSplit split) const = 0;
  virtual int64_t batchnorm_images() const = 0;
  virtual bool has_test() const = 0;  // whether the test split can be scored
  // Whether the BatchNorm data has an augmentation (a tensor file has none).
  virtual bool augments_batchnorm_data() const { return true; }
  virtual std::vector<std::string> class_names() const = 0;
  // "resnet18-cifar-w8", or a TorchScript file's class.
  virtual std::string architecture() const = 0;
  // What the data are, for the report's stderr log (empty: nothing to say).
  virtual std::vector<std::string> notes() const { return {}; }
};

// CIFAR-10's splits and a built-in ResNet of the snapshots' architecture.
std::unique_ptr<CandidateModel> builtin_candidate_model(const std::string& arch,
                                                        int64_t num_classes, ImageSet batchnorm,
                                                        ImageSet validation, ImageSet test,
                                                        std::vector<std::string> class_names,
                                                        const torch::Device& device);

// A TorchScript file and three sources (test may be null when the test split is not scored).
std::unique_ptr<CandidateModel> scripted_candidate_model(const std::string& model_path,
                                                         std::unique_ptr<ExampleSource> batchnorm,
                                                         std::unique_ptr<ExampleSource> validation,
                                                         std::unique_ptr<ExampleSource> test);

}  // namespace swa
