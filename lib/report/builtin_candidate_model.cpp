// A report's candidates in a built-in ResNet on CIFAR-10's splits (lib/report/candidate_model.h).
#include "lib/batchnorm/recompute_batchnorm.h"
#include "lib/evaluation/predict.h"
#include "lib/models/batchnorm_keys.h"
#include "lib/models/state_dict.h"
#include "lib/report/candidate_model.h"

namespace swa {
namespace {

class BuiltinCandidateModel : public CandidateModel {
 public:
  BuiltinCandidateModel(ResNetSpec spec, int64_t num_classes, ImageSet batchnorm,
                        ImageSet validation, ImageSet test, std::vector<std::string> class_names,
                        const torch::Device& device)
      : spec_(spec),
        num_classes_(num_classes),
        batchnorm_(std::move(batchnorm)),
        validation_(std::move(validation)),
        test_(std::move(test)),
        class_names_(std::move(class_names)) {
    if (device.is_cuda()) {  // the images move to the device once
      batchnorm_.images = batchnorm_.images.to(device);
      validation_.images = validation_.images.to(device);
      if (test_.images.defined()) test_.images = test_.images.to(device);
    }
  }

  // A fresh module per candidate: prediction folds BatchNorm into the convolutions.
  void load(const StateDict& state, const std::string& what) override {
    model_ = ResNet(spec_, num_classes_);
    load_state_dict(*model_, state, what);
  }

  void recompute_batchnorm(const ScoringOptions& options) override {
    BatchNormPassOptions pass = batchnorm_pass_options(options);
    swa::recompute_batchnorm(model_, batchnorm_, pass);
  }

  std::vector<std::pair<std::string, torch::Tensor>> batchnorm_statistics() override {
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto& [key, t] : state_dict(*model_)) {
      if (is_batchnorm_buffer(key)) out.emplace_back(key, t.to(torch::kCPU).clone());
    }
    return out;
  }

  torch::Tensor logits(ReportSplit split, const ScoringOptions& options) override {
    const PredictOptions predict = predict_options(options);
    return predict_logits(model_, images_of(split).images, predict);
  }

  torch::Tensor labels(ReportSplit split) const override { return images_of(split).labels; }
  int64_t images(ReportSplit split) const override { return images_of(split).size(); }
  int64_t batchnorm_images() const override { return batchnorm_.size(); }
  bool has_test() const override { return test_.labels.defined(); }
  std::vector<std::string> class_names() const override { return class_names_; }
  std::string architecture() const override { return spec_.name(); }

 private:
  const ImageSet& images_of(ReportSplit split) const {
    return split == ReportSplit::kTest ? test_ : validation_;
  }

  ResNetSpec spec_;
  int64_t num_classes_;
  ImageSet batchnorm_, validation_, test_;
  std::vector<std::string> class_names_;
  ResNet model_{nullptr};
};

}  // namespace

std::unique_ptr<CandidateModel> builtin_candidate_model(const std::string& arch,
                                                        int64_t num_classes, ImageSet batchnorm,
                                                        ImageSet validation, ImageSet test,
                                                        std::vector<std::string> class_names,
                                                        const torch::Device& device) {
  return std::make_unique<BuiltinCandidateModel>(parse_architecture(arch), num_classes,
                                                 std::move(batchnorm), std::move(validation),
                                                 std::move(test), std::move(class_names), device);
}

}  // namespace swa
