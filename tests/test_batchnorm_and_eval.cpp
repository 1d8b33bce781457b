#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "formats/input_error.h"
#include "lib/batchnorm/recompute_batchnorm.h"
#include "lib/data/image_batches.h"
#include "lib/evaluation/classification_metrics.h"
#include "lib/evaluation/predict.h"
#include "lib/runtime/precision.h"
#include "test_support.h"

using namespace swa;
using namespace swa::test;

namespace {

ResNet model_with_random_statistics(const std::string& arch, uint64_t seed) {
  torch::manual_seed(seed);
  auto model = make_resnet(arch, 10);
  torch::NoGradGuard no_grad;
  for (auto& m : model->modules(false)) {
    if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
      bn->running_mean.normal_(0, 0.5);
      bn->running_var.uniform_(0.5, 2);
      bn->weight.uniform_(0.5, 1.5);
      bn->bias.normal_(0, 0.2);
    }
  }
  return model;
}

// A second model with the same weights and statistics.
ResNet copy_of(ResNet& model, const std::string& arch) {
  auto copy = make_resnet(arch, 10);
  load_state_dict(*copy, state_dict(*model), "test");
  return copy;
}

// The plainest forward pass, which the fast paths are compared with: our module, BatchNorm kept
// separate, contiguous layout.
PredictOptions unfolded_reference() {
  PredictOptions o;
  o.engine = InferenceEngine::kReference;
  o.fold_batchnorm = false;
  o.channels_last = false;
  o.progress = false;
  return o;
}

// A fresh cache folder (SWA_CACHE_DIR) for the measured choices, for the test's life.
class CacheFolderForTest {
 public:
  CacheFolderForTest() {
    const char* before = std::getenv("SWA_CACHE_DIR");
    had_ = before != nullptr;
    saved_ = before ? before : "";
    setenv("SWA_CACHE_DIR", dir_.path().c_str(), 1);
  }
  ~CacheFolderForTest() {
    if (had_) {
      setenv("SWA_CACHE_DIR", saved_.c_str(), 1);
    } else {
      unsetenv("SWA_CACHE_DIR");
    }
  }
  std::string file(const std::string& name) const { return dir_.file(name); }

 private:
  TempDir dir_;
  bool had_ = false;
  std::string saved_;
};

// |a - b| / |b| over the whole tensor, in float64 (0 when both are zero).
double relative_error(const torch::Tensor& a, const torch::Tensor& b) {
  const torch::Tensor x = a.to(torch::kDouble), y = b.to(torch::kDouble);
  const double norm = y.norm().item<double>(), diff = (x - y).norm().item<double>();
  return norm > 0 ? diff / norm : diff;
}

ImageSet random_images(int64_t n) {
  return {torch::randint(0, 256, {n, 3, 32, 32}, torch::kLong).to(torch::kUInt8),
          torch::randint(0, 10, {n}, torch::kLong)};
}

}  // namespace

TEST_CASE("BatchNorm re-estimation equals the cumulative average of per-batch statistics",
          "[batchnorm][eval]") {
  auto model = model_with_random_statistics("resnet18-cifar-w4", 1);
  const auto data = random_images(70);  // batches of 32, 32, 6: the last one counts as much
  BatchNormPassOptions opts;
  opts.batch_size = 32;
  opts.progress = false;
  opts.layout = ActivationLayout::kContiguous;
  CHECK(recompute_batchnorm(model, data, opts) == 70);

  // Direct computation for the first BatchNorm: statistics of conv1's output per batch.
  torch::NoGradGuard no_grad;
  auto w = state_dict(*model)[0].second;  // conv1.weight (unchanged by the pass)
  std::vector<torch::Tensor> means, vars;
  for (int64_t b = 0; b < 70; b += 32) {
    auto x = normalize_cifar(data.images.slice(0, b, std::min<int64_t>(70, b + 32)));
    auto y = torch::conv2d(x, w, {}, 1, 1);
    means.push_back(y.mean({0, 2, 3}));
    vars.push_back(y.var({0, 2, 3}, /*unbiased=*/true));
  }
  auto want_mean = (means[0] + means[1] + means[2]) / 3;
  auto want_var = (vars[0] + vars[1] + vars[2]) / 3;
  auto s = state_dict(*model);
  CHECK(s[3].first == "bn1.running_mean");
  CHECK(torch::allclose(s[3].second, want_mean, 1e-4, 1e-5));
  CHECK(torch::allclose(s[4].second, want_var, 1e-4, 1e-5));
  CHECK(s[5].second.item<int64_t>() == 3);  // num_batches_tracked: one per batch
  CHECK_FALSE(model->is_training());
}

TEST_CASE("re-estimation gives the same statistics in every layout", "[batchnorm][eval]") {
  // Both stems (the imagenet one has a max pool), both block kinds, shortcut projections.
  const auto data = random_images(40);
  for (const char* arch : {"resnet18-cifar-w4", "resnet50-w4"}) {
    BatchNormPassOptions opts;
    opts.batch_size = 16;
    opts.progress = false;
    opts.layout = ActivationLayout::kContiguous;
    auto expected = model_with_random_statistics(arch, 2);
    recompute_batchnorm(expected, data, opts);
    const auto want = state_dict(*expected);
    for (const ActivationLayout layout :
         {ActivationLayout::kChannelsLast, ActivationLayout::kOneDnn}) {
      if (!layout_runs_on(layout, torch::kCPU)) continue;
      INFO(arch << ", " << layout_name(layout));
      auto model = model_with_random_statistics(arch, 2);
      opts.layout = layout;
      const BatchNormPass pass = run_batchnorm_pass(model, data, opts);
      CHECK(pass.layout == layout);
      CHECK(pass.layout_source.kind == ChoiceSource::Kind::kFlag);
      CHECK(pass.layout_source.text() == "--layout");
      const auto got = state_dict(*model);
      for (size_t i = 0; i < want.size(); ++i) {
        INFO(want[i].first);
        CHECK(relative_error(got[i].second, want[i].second) <= 1e-4);  // update_bn's bound
      }
      // The model is left as a module again: its own forward runs on dense tensors.
      model->eval();
      torch::NoGradGuard no_grad;
      CHECK(model->forward(normalize_cifar(data.images.slice(0, 0, 4))).size(0) == 4);
    }
  }
}

TEST_CASE("the layouts have names a user can give", "[batchnorm][eval]") {
  for (const ActivationLayout layout : kActivationLayouts) {
    CHECK(layout_named(layout_name(layout)) == layout);
  }
  CHECK(layout_named("onednn") == ActivationLayout::kOneDnn);
  CHECK_FALSE(layout_named("nhwc").has_value());
}

TEST_CASE("the onednn layout is for the CPU, with a LibTorch built with oneDNN",
          "[batchnorm][eval]") {
  CHECK(layout_runs_on(ActivationLayout::kOneDnn, torch::kCPU) == at::hasMKLDNN());
  CHECK_FALSE(layout_runs_on(ActivationLayout::kOneDnn, torch::Device(torch::kCUDA, 0)));
  CHECK(layout_runs_on(ActivationLayout::kChannelsLast, torch::Device(torch::kCUDA, 0)));
  CHECK(layout_runs_on(ActivationLayout::kContiguous, torch::kCPU));
}

TEST_CASE("a oneDNN-layout input without prepacked weights is refused, not run slowly",
          "[batchnorm][eval]") {
  auto model = model_with_random_statistics("resnet18-cifar-w4", 3);
  torch::NoGradGuard no_grad;
  const torch::Tensor x = normalize_cifar(random_images(2).images).to_mkldnn();
  CHECK_THROWS_WITH(model->forward(x), Catch::Contains("prepack_for_onednn"));
  model->prepack_for_onednn();
  CHECK(model->forward(x).size(1) == 10);
  model->drop_onednn_weights();
  CHECK_THROWS_WITH(model->forward(x), Catch::Contains("prepack_for_onednn"));
}

TEST_CASE("the statistics pass measures its layout once per machine and the statistics stay",
          "[batchnorm][eval]") {
  // The measurement runs train-mode forwards, which move the running statistics: the pass must
  // still start from reset statistics and end with update_bn's numbers.
  const CacheFolderForTest cache;
  const auto data = random_images(40);
  BatchNormPassOptions fixed;
  fixed.batch_size = 16;
  fixed.progress = false;
  fixed.layout = ActivationLayout::kContiguous;
  auto expected = model_with_random_statistics("resnet18-cifar-w4", 6);
  recompute_batchnorm(expected, data, fixed);

  BatchNormPassOptions measured = fixed;
  measured.layout.reset();
  auto first = model_with_random_statistics("resnet18-cifar-w4", 6);
  const BatchNormPass a = run_batchnorm_pass(first, data, measured);
  CHECK(a.layout_source.kind == ChoiceSource::Kind::kMeasured);
  REQUIRE(a.measured_images_per_second.size() == (at::hasMKLDNN() ? 3 : 2));
  for (const auto& [name, speed] : a.measured_images_per_second) {
    INFO(name);
    CHECK(layout_named(name).has_value());
    CHECK(speed > 0);
    CHECK(speed <= a.measured_images_per_second.at(layout_name(a.layout)));  // the fastest won
  }
  CHECK(a.images == 40);
  auto second = model_with_random_statistics("resnet18-cifar-w4", 6);
  const BatchNormPass b = run_batchnorm_pass(second, data, measured);
  CHECK(b.layout_source.kind == ChoiceSource::Kind::kRemembered);
  CHECK(b.layout == a.layout);
  CHECK(b.measured_images_per_second.empty());
  const auto want = state_dict(*expected), got_a = state_dict(*first), got_b = state_dict(*second);
  for (size_t i = 0; i < want.size(); ++i) {
    INFO(want[i].first);
    CHECK(torch::allclose(got_a[i].second.contiguous().to(torch::kDouble),
                          want[i].second.to(torch::kDouble), 1e-4, 1e-5));
    CHECK(torch::allclose(got_b[i].second.contiguous().to(torch::kDouble),
                          want[i].second.to(torch::kDouble), 1e-4, 1e-5));
  }
}

TEST_CASE("folding BatchNorm into the convolutions does not change the predictions",
          "[batchnorm][eval]") {
  const auto data = random_images(64);
  for (const char* arch : {"resnet18-cifar-w4", "resnet50-w4"}) {
    INFO(arch);
    auto plain = model_with_random_statistics(arch, 5);
    auto folded = copy_of(plain, arch);
    PredictOptions fast;
    fast.engine = InferenceEngine::kReference;
    fast.batch_size = 20;
    fast.progress = false;
    auto a = predict_logits(plain, data.images, unfolded_reference());
    auto b = predict_logits(folded, data.images, fast);
    CHECK(folded->folded());
    CHECK(torch::allclose(a, b, 1e-4, 1e-4));
    CHECK(torch::equal(a.argmax(1), b.argmax(1)));
  }
}

TEST_CASE("the frozen engine predicts what the reference module does", "[batchnorm][eval]") {
  // Both stems, both block kinds, shortcut projections: the graph written for each architecture
  // runs the same network. Tolerance: float32 rounding of BatchNorm folding and oneDNN's
  // summation order.
  const auto data = random_images(48);
  for (const char* arch : {"resnet18-cifar-w4", "resnet50-w4"}) {
    INFO(arch);
    auto reference = model_with_random_statistics(arch, 7);
    auto frozen = copy_of(reference, arch);
    PredictOptions graph;
    graph.engine = InferenceEngine::kFrozen;
    graph.batch_size = 16;
    graph.progress = false;
    const auto a = predict_logits(reference, data.images, unfolded_reference());
    const auto b = predict_logits(frozen, data.images, graph);
    CHECK(torch::allclose(a, b, 1e-4, 1e-4));
    CHECK(torch::equal(a.argmax(1), b.argmax(1)));
    CHECK_FALSE(frozen->folded());  // the module itself is left as it was
  }
}

TEST_CASE("auto measures the faster engine once per machine, remembers it, and --engine wins",
          "[batchnorm][eval]") {
  const CacheFolderForTest cache;
  const auto data = random_images(32);
  PredictOptions automatic;
  automatic.batch_size = 16;
  automatic.progress = false;
  auto model = model_with_random_statistics("resnet18-cifar-w4", 4);
  const auto reference = predict_logits(model, data.images, unfolded_reference());

  auto first = model_with_random_statistics("resnet18-cifar-w4", 4);
  const Prediction measured = predict(first, data.images, automatic);
  CHECK(measured.engine_source.kind == ChoiceSource::Kind::kMeasured);
  CHECK(measured.timing.frozen_images_per_second > 0);
  CHECK(measured.timing.reference_images_per_second > 0);
  const bool frozen_faster =
      measured.timing.frozen_images_per_second >= measured.timing.reference_images_per_second;
  CHECK(measured.engine ==
        (frozen_faster ? InferenceEngine::kFrozen : InferenceEngine::kReference));
  CHECK(torch::allclose(measured.logits, reference, 1e-4, 1e-4));

  auto second = model_with_random_statistics("resnet18-cifar-w4", 4);
  const Prediction remembered = predict(second, data.images, automatic);
  CHECK(remembered.engine_source.kind == ChoiceSource::Kind::kRemembered);
  CHECK(remembered.engine == measured.engine);
  CHECK(torch::allclose(remembered.logits, reference, 1e-4, 1e-4));

  PredictOptions forced = automatic;
  forced.engine = frozen_faster ? InferenceEngine::kReference : InferenceEngine::kFrozen;
  auto third = model_with_random_statistics("resnet18-cifar-w4", 4);
  const Prediction overridden = predict(third, data.images, forced);
  CHECK(overridden.engine == forced.engine);
  CHECK(overridden.engine_source.text() == "--engine");

  std::ofstream(cache.file("measured-choices.json")) << "{ not json";  // damaged: measured over
  auto fourth = model_with_random_statistics("resnet18-cifar-w4", 4);
  CHECK(predict(fourth, data.images, automatic).engine_source.kind ==
        ChoiceSource::Kind::kMeasured);
}

TEST_CASE("bf16 precision runs under autocast, stays near float32, and the frozen graph refuses it",
          "[batchnorm][eval]") {
  // bf16 keeps 8 bits of mantissa: the logits move by about 1e-2, the predictions mostly stay.
  const auto data = random_images(48);
  auto reference = model_with_random_statistics("resnet18-cifar-w4", 9);
  auto low = copy_of(reference, "resnet18-cifar-w4");
  PredictOptions bf16;
  bf16.engine = InferenceEngine::kReference;
  bf16.precision = torch::kBFloat16;
  bf16.batch_size = 16;
  bf16.progress = false;
  const auto a = predict_logits(reference, data.images, unfolded_reference());
  const auto b = predict_logits(low, data.images, bf16);
  CHECK(b.scalar_type() == torch::kFloat);
  CHECK_FALSE(torch::equal(a, b));  // it did run in lower precision
  CHECK((a - b).abs().max().item<double>() < 0.1 * (a.abs().max().item<double>() + 1));
  CHECK(a.argmax(1).eq(b.argmax(1)).sum().item<int64_t>() >= 40);
  PredictOptions frozen = bf16;
  frozen.engine = InferenceEngine::kFrozen;
  CHECK_THROWS_AS(predict_logits(low, data.images, frozen), InputError);
}

TEST_CASE("an autocast scope lowers matrix products inside it and nothing after it",
          "[batchnorm][eval]") {
  const auto a = torch::randn({4, 8}), b = torch::randn({8, 3});
  {
    AutocastScope scope(torch::kCPU, torch::kBFloat16);
    CHECK(torch::mm(a, b).scalar_type() == torch::kBFloat16);
  }
  CHECK(torch::mm(a, b).scalar_type() == torch::kFloat);
  {
    AutocastScope off(torch::kCPU, torch::kFloat);
    CHECK(torch::mm(a, b).scalar_type() == torch::kFloat);
  }
  CHECK(parse_precision("bf16", "--amp") == torch::kBFloat16);
  CHECK(parse_precision("fp16", "--amp") == torch::kHalf);
  CHECK(parse_precision("float32", "--amp") == torch::kFloat);
  CHECK_THROWS_AS(parse_precision("int8", "--amp"), InputError);
  // One set of dtype names for every flag: fp32, bf16, fp16 and their long aliases, no others.
  CHECK(parse_precision("fp32", "--precision") == torch::kFloat);
  CHECK(parse_precision("bfloat16", "--precision") == torch::kBFloat16);
  CHECK(parse_precision("float16", "--precision") == torch::kHalf);
  CHECK_THROWS_WITH(parse_precision("off", "--precision"),
                    Catch::Contains("--precision: 'off' is not a precision (expected fp32, bf16"));
}

TEST_CASE("metrics on hand-made logits: top-k, NLL, ECE, per-class, confusion",
          "[batchnorm][eval]") {
  // 4 images, 6 classes. Image 0 right; 1 wrong but 2nd; 2 wrong, 6th; 3 right.
  auto logits = torch::tensor({{5.0, 0.0, 0.0, 0.0, 0.0, 0.0},
                               {3.0, 2.0, 0.0, 0.0, 0.0, 0.0},
                               {0.0, 5.0, 4.0, 3.0, 2.0, 1.0},
                               {0.0, 0.0, 0.0, 9.0, 0.0, 0.0}});
  auto labels = torch::tensor({0, 1, 0, 3}, torch::kLong);
  auto m = classification_metrics(logits, labels);
  CHECK(m.top1 == Approx(50.0));
  CHECK(m.top5 == Approx(75.0));
  auto lp = torch::log_softmax(logits.to(torch::kDouble), 1);
  double nll = -(lp[0][0] + lp[1][1] + lp[2][0] + lp[3][3]).item<double>() / 4;
  CHECK(m.nll == Approx(nll));
  CHECK(m.confusion[0][0] == 1);
  CHECK(m.confusion[0][1] == 1);
  CHECK(m.confusion[1][0] == 1);
  CHECK(m.per_class_accuracy[0] == Approx(50.0));
  CHECK(m.per_class_accuracy[1] == Approx(0.0));
  CHECK(std::isnan(m.per_class_accuracy[2]));

  // ECE by hand: every image in its own confidence bin here.
  auto p = lp.exp().amax(1);
  std::vector<double> conf = {p[0].item<double>(), p[1].item<double>(), p[2].item<double>(),
                              p[3].item<double>()};
  std::vector<double> right = {1, 0, 0, 1};
  std::map<int, std::pair<double, std::vector<double>>>
      bins;  // bin -> (correct count, confidences)
  for (int i = 0; i < 4; ++i) {
    const int b = static_cast<int>(std::ceil(conf[static_cast<size_t>(i)] * 15)) - 1;
    bins[b].first += right[static_cast<size_t>(i)];
    bins[b].second.push_back(conf[static_cast<size_t>(i)]);
  }
  double ece = 0;
  for (auto& [b, v] : bins) {
    const double n = static_cast<double>(v.second.size());
    double mean_conf = 0;
    for (double c : v.second) mean_conf += c / n;
    ece += std::abs(v.first / n - mean_conf) * n / 4;
  }
  CHECK(m.ece == Approx(ece));
}

TEST_CASE("a perfectly confident, always right model has zero ECE and NLL near zero",
          "[batchnorm][eval]") {
  auto labels = torch::arange(10, torch::kLong);
  auto logits = torch::nn::functional::one_hot(labels, 10).to(torch::kFloat) * 100;
  auto m = classification_metrics(logits, labels);
  CHECK(m.top1 == Approx(100.0));
  CHECK(m.ece == Approx(0.0).margin(1e-12));
  CHECK(m.nll == Approx(0.0).margin(1e-12));
}
