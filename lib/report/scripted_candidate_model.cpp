// A report's candidates in a TorchScript model on any data source (lib/report/candidate_model.h):
// BatchNorm as swa-bn --model re-estimates it, logits as swa-eval --model takes them.
#include <map>

#include "formats/input_error.h"
#include "lib/batchnorm/scripted_batchnorm_pass.h"
#include "lib/evaluation/scripted_predict.h"
#include "lib/models/batchnorm_keys.h"
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
    // Read once (8 bytes an example): every candidate is scored against them.
    for (const ExampleSource* s : {validation_.get(), test_.get()}) {
      if (!s) continue;
      if (!s->has_labels()) throw InputError(s->files().front(), "holds no labels");
      labels_.push_back(s->labels(0, s->size()));
    }
  }

  void load(const StateDict& state, const std::string& what) override {
    std::map<std::string, const torch::Tensor*> by_key;
    for (const auto& [key, t] : state) by_key.emplace(key, &t);
    load_tensors_into(model_, layout_of(state, what), what,
                      [&](const std::string& key) { return *by_key.at(key); });
  }

  void recompute_batchnorm(const ScoringOptions& options) override {
    BatchNormPassOptions pass = batchnorm_pass_options(options);
    pass.augment = options.bn_augment && batchnorm_->augments();
    run_scripted_batchnorm_pass(model_, *batchnorm_, pass);
  }

  std::vector<std::pair<std::string, torch::Tensor>> batchnorm_statistics() override {
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto& [key, t] : module_tensors(model_.module)) {
      if (is_batchnorm_buffer(key)) out.emplace_back(key, t.to(torch::kCPU).clone());
    }
    return out;
  }

  torch::Tensor logits(ReportSplit split, const ScoringOptions& options) override {
    const PredictOptions predict = predict_options(options);
    const ExampleSource& source = source_of(split);
    torch::Tensor out = predict_scripted(model_, source, predict).logits;
    bool& checked = labels_checked_[split == ReportSplit::kTest ? 1 : 0];
    if (!checked) source.require_labels_below(out.size(1));  // the same file every candidate
    checked = true;
    return out;
  }

  torch::Tensor labels(ReportSplit split) const override {
    return labels_.at(split == ReportSplit::kTest ? 1 : 0);
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
  std::vector<torch::Tensor> labels_;        // validation's, then test's
  bool labels_checked_[2] = {false, false};  // validation, test
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
