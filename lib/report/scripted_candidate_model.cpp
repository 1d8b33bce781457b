// A report's candidates in a TorchScript model on any data source (lib/report/candidate_model.h):
// BatchNorm as swa-bn --model re-estimates it, logits as swa-eval --model takes them.
#include <map>

#include "formats/input_error.h"
#include "lib/batchnorm/scripted_batchnorm_pass.h"
#include "lib/evaluation/scripted_predict.h"
#include "lib/models/scripted_normalisation.h"
#include "lib/report/candidate_model.h"

namespace swa {
namespace {

class ScriptedCandidateModel : public CandidateModel {
 public:
  ScriptedCandidateModel(const std::string& path, std::unique_ptr<ExampleSource> batchnorm,
                         std::unique_ptr<ExampleSource> validation,
                         std::unique_ptr<ExampleSource> test)
      : model_(load_scripted_model(path)),
        batchnorm_(std::move(batchnorm)),
        validation_(std::move(validation)),
        test_(std::move(test)) {
    for (const ExampleSource* s : {validation_.get(), test_.get()}) {
      if (s && !s->has_labels()) throw InputError(s->files().front(), "holds no labels");
    }
    pristine_ = module_tensors(model_.module);
    for (auto& [key, t] : pristine_) t = t.clone();
  }

  void load(const StateDict& state, const std::string& what) override {
    const SnapshotFit fit = snapshot_fit(model_, layout_of(state, what));
    if (!fit.fits()) {
      throw InputError(what, "does not fit the model " + model_.path + ": " + fit.problems());
    }
    std::map<std::string, torch::Tensor> tensors;
    for (const auto& [key, t] : module_tensors(model_.module)) tensors.emplace(key, t);
    torch::NoGradGuard no_grad;
    for (const auto& [key, t] : pristine_) tensors.at(key).copy_(t);  // kept buffers
    for (const auto& [key, t] : state) tensors.at(key).copy_(t);
  }

  void recompute_batchnorm(const ScoringOptions& options) override {
    BatchNormPassOptions pass = batchnorm_pass_options(options);
    pass.augment = options.bn_augment && batchnorm_->augments();
    run_scripted_batchnorm_pass(model_, *batchnorm_, pass);
  }

  std::vector<std::pair<std::string, torch::Tensor>> batchnorm_statistics() override {
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto& bn : normalisation_layers(model_.module).batchnorms) {
      const std::string prefix = bn.name.empty() ? "" : bn.name + ".";
      out.emplace_back(prefix + "running_mean", bn.running_mean().to(torch::kCPU).clone());
      out.emplace_back(prefix + "running_var", bn.running_var().to(torch::kCPU).clone());
      out.emplace_back(prefix + "num_batches_tracked",
                       bn.num_batches_tracked().to(torch::kCPU).clone());
    }
    return out;
  }

  torch::Tensor logits(ReportSplit split, const ScoringOptions& options) override {
    const PredictOptions predict = predict_options(options);
    const ExampleSource& source = source_of(split);
    torch::Tensor out = predict_scripted(model_, source, predict).logits;
    source.require_labels_below(out.size(1));
    return out;
  }

  torch::Tensor labels(ReportSplit split) const override {
    const ExampleSource& source = source_of(split);
    return source.labels(0, source.size());
  }
  int64_t images(ReportSplit split) const override { return source_of(split).size(); }
  int64_t batchnorm_images() const override { return batchnorm_->size(); }
  bool has_test() const override { return test_ != nullptr; }
  bool augments_batchnorm_data() const override { return batchnorm_->augments(); }
  std::vector<std::string> class_names() const override { return validation_->class_names(); }
  std::string architecture() const override { return model_.type_name; }
  std::vector<std::string> notes() const override {
    std::vector<std::string> out{"model: " + model_.path + " (" + model_.type_name + ")",
                                 "BatchNorm data: " + batchnorm_->description(),
                                 "validation data: " + validation_->description()};
    if (test_) out.push_back("test data: " + test_->description());
    return out;
  }

 private:
  const ExampleSource& source_of(ReportSplit split) const {
    if (split == ReportSplit::kTest && !test_) throw std::logic_error("no test data");
    return split == ReportSplit::kTest ? *test_ : *validation_;
  }

  ScriptedModel model_;
  std::unique_ptr<ExampleSource> batchnorm_, validation_, test_;
  std::vector<std::pair<std::string, torch::Tensor>> pristine_;  // the file's own values
};

}  // namespace

std::unique_ptr<CandidateModel> scripted_candidate_model(const std::string& model_path,
                                                         std::unique_ptr<ExampleSource> batchnorm,
                                                         std::unique_ptr<ExampleSource> validation,
                                                         std::unique_ptr<ExampleSource> test) {
  return std::make_unique<ScriptedCandidateModel>(model_path, std::move(batchnorm),
                                                  std::move(validation), std::move(test));
}

}  // namespace swa
