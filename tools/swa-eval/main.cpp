// swa-eval: a checkpoint's accuracy, NLL, calibration and per-class results on CIFAR-10.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <tuple>

#include "formats/output_guard.h"
#include "lib/data/cifar10.h"
#include "lib/data/open_example_source.h"
#include "lib/distributed/ranks.h"
#include "lib/evaluation/evaluate_snapshot.h"
#include "lib/runtime/device.h"
#include "lib/runtime/measured_choice.h"
#include "lib/runtime/precision.h"
#include "lib/runtime/threads.h"
#include "tools/common/run_tool.h"
#include "tools/common/shared_options.h"

namespace {

// --json: the evaluation as documented in docs/swa-eval.md.
nlohmann::json to_json(const swa::Evaluation& e) {
  return {{"checkpoint", e.checkpoint},
          {"arch", e.arch},
          {"notes", e.notes},
          {"bn_state", e.bn_state},
          {"split", e.split},
          {"device", e.device},
          {"metrics", swa::metrics_to_json(e.metrics, e.class_names)},
          {"engine",
           {{"name", e.engine},
            {"chosen_by", e.engine_source.text()},
            {"frozen_images_per_second", e.engine_timing.frozen_images_per_second},
            {"reference_images_per_second", e.engine_timing.reference_images_per_second}}},
          {"setup_seconds", e.setup_seconds},
          {"forward_seconds", e.forward_seconds},
          {"images_per_second", e.images_per_second},
          {"total_seconds", e.total_seconds},
          {"warnings", e.warnings}};
}

// --precision below float32: what it changed against the float32 pass over the same images.
nlohmann::json precision_change(const swa::Evaluation& e, const std::string& precision) {
  return {{"precision", precision},
          {"float32_top1", e.float32->metrics.top1},
          {"float32_nll", e.float32->metrics.nll},
          {"float32_images_per_second", e.float32->images_per_second},
          {"top1_change", e.metrics.top1 - e.float32->metrics.top1},
          {"nll_change", e.metrics.nll - e.float32->metrics.nll}};
}

// Past this many classes the confusion matrix is summarised by its largest off-diagonal cells.
constexpr size_t kConfusionPrinted = 20;

void print_confusion(const swa::ClassificationMetrics& m, const std::vector<std::string>& names) {
  auto name = [&](size_t c) { return c < names.size() ? names[c] : std::to_string(c); };
  if (m.confusion.size() <= kConfusionPrinted) {
    std::printf("\n  confusion (rows: true class, columns: predicted):\n");
    for (const auto& row : m.confusion) {
      std::printf("   ");
      for (const int64_t v : row) std::printf(" %5lld", static_cast<long long>(v));
      std::printf("\n");
    }
    return;
  }
  std::vector<std::tuple<int64_t, size_t, size_t>> cells;  // count, true, predicted
  for (size_t t = 0; t < m.confusion.size(); ++t) {
    for (size_t p = 0; p < m.confusion[t].size(); ++p) {
      if (t != p && m.confusion[t][p] > 0) cells.emplace_back(m.confusion[t][p], t, p);
    }
  }
  std::sort(cells.rbegin(), cells.rend());
  std::printf("\n  most confused (of %zu classes; --json has the whole matrix):\n",
              m.confusion.size());
  for (size_t i = 0; i < cells.size() && i < 10; ++i) {
    const auto& [count, t, p] = cells[i];
    std::printf("    %-16s -> %-16s %lld\n", name(t).c_str(), name(p).c_str(),
                static_cast<long long>(count));
  }
}

void print_table(const swa::Evaluation& e) {
  const auto& m = e.metrics;
  std::printf("%s  (%s, bn_state=%s)\n", e.checkpoint.c_str(), e.arch.c_str(), e.bn_state.c_str());
  std::printf("split %-5s  images %lld\n", e.split.c_str(), static_cast<long long>(m.images));
  if (std::isnan(m.top5)) {
    std::printf("  top-1 %7.2f %%   top-5 -   NLL %.4f   ECE %.4f\n", m.top1, m.nll, m.ece);
  } else {
    std::printf("  top-1 %7.2f %%   top-5 %7.2f %%   NLL %.4f   ECE %.4f\n", m.top1, m.top5, m.nll,
                m.ece);
  }
  std::printf("  per class:");
  for (size_t i = 0; i < m.per_class_accuracy.size(); ++i) {
    const double acc = m.per_class_accuracy[i];
    const std::string name = i < e.class_names.size() ? e.class_names[i] : std::to_string(i);
    std::printf("%s %-10s %6.2f", (i % 4 == 0) ? "\n   " : "", name.c_str(),
                std::isnan(acc) ? 0.0 : acc);
  }
  print_confusion(m, e.class_names);
  std::printf("  %.0f images/s on %s (forward %.2fs, total %.2fs)\n", e.images_per_second,
              e.device.c_str(), e.forward_seconds, e.total_seconds);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Evaluate a checkpoint on CIFAR-10.", "swa-eval"};
  app.footer(R"(Examples:
  swa-eval swa-bn.pt --data cifar10/
  swa-eval cycle-0003.h5 --data cifar10/ --split val --json -
  swa-eval model.pt --data cifar10/ --device cuda   # a bare state dict: the ResNet its tensors fit
  swa-eval swa-bn.pt --model mobilenet.ts --data test.safetensors   # your model and data

Metrics: top-1, top-5 (percent), NLL (nats), ECE (15 equal-width bins), per-class accuracy,
confusion matrix (past 20 classes the most confused pairs), images/s. With --model any classifier:
classes from its output width, top-5 from 5 classes. Selection should use --split val; report
--split test at the end.)");
  swa::EvaluationRequest req;
  swa::ImageToolFlags flags;
  flags.split = "test";
  flags.validation_size = swa::kDefaultValidationSize;
  bool no_fold = false;
  app.add_option("checkpoint", req.checkpoint, "Snapshot (.h5, .pt, .safetensors)")->required();
  swa::add_image_tool_options(app, flags, "test, val or train");
  app.add_option("--arch", req.arch_override,
                 "Architecture (default: the metadata's, else the ResNet the tensors fit)");
  app.add_flag("--no-fold", no_fold, "Keep BatchNorm separate (slower; for checking)");
  std::string engine = "auto";
  app.add_option("--engine", engine,
                 "frozen: the frozen, inference-optimised TorchScript graph; reference: our module "
                 "(BatchNorm folded, channels_last), with --model the module as scripted; auto: "
                 "the faster of the two, measured once per machine and device (CPU or GPU) and "
                 "remembered")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "frozen", "reference"}));
  std::string precision = "fp32";
  app.add_option("--precision", precision,
                 "bf16 or fp16: the forward passes under autocast (opt-in; a float32 pass over "
                 "the same images says what it changes)")
      ->capture_default_str()
      ->check(swa::dtype_name_check());

  swa::ModelDataFlags model_data;
  swa::add_model_data_options(app, model_data);
  swa::DistributedOptions distributed;
  swa::add_distributed_options(app, distributed);

  return swa::run_tool(app, argc, argv, [&] {
    swa::set_compute_threads(flags.threads);
    // Under torchrun or swa-launch: every rank takes its share of the batches, rank 0 speaks
    const swa::Ranks& ranks = swa::Ranks::join_from_environment(distributed);
    if (!ranks.leads()) flags.quiet = true;
    swa::OutputGuard guard({req.checkpoint});
    for (const auto& f : swa::data_files(flags.data_dir)) guard.add_input(f);
    if (!model_data.model.empty()) guard.add_input(model_data.model);
    guard.check_json("--json", flags.json);
    req.data = {flags.data_dir, flags.validation_size};
    req.model = model_data.model;
    req.state_dict_key = flags.state_dict_key;
    req.tensors = {model_data.input_key, model_data.label_key, true, model_data.mean,
                   model_data.std};
    req.split = swa::parse_split(flags.split);
    req.predict.batch_size = flags.batch_size;
    req.predict.device = ranks.local_device(swa::resolve_device(flags.device));
    req.predict.fold_batchnorm = !no_fold;
    req.predict.engine = swa::parse_engine(engine).value_or(swa::InferenceEngine::kAuto);
    req.predict.progress = !flags.quiet;
    req.predict.precision = swa::parse_precision(precision, "--precision");
    swa::check_precision_runs_on(req.predict.precision, req.predict.device, "--precision");
    const swa::Evaluation evaluation = swa::evaluate_snapshot(req);
    for (const auto& note : evaluation.notes)
      if (!flags.quiet) std::cerr << "swa-eval: " << note << "\n";
    for (const auto& w : evaluation.warnings)
      if (ranks.leads()) std::cerr << "swa-eval: WARNING: " << w << "\n";
    if (evaluation.engine_source.kind == swa::ChoiceSource::Kind::kMeasured && !flags.quiet) {
      std::fprintf(stderr,
                   "swa-eval: engine %s, measured on this machine (one batch: frozen %.0f "
                   "images/s, reference %.0f); remembered in %s, --engine overrides\n",
                   evaluation.engine.c_str(), evaluation.engine_timing.frozen_images_per_second,
                   evaluation.engine_timing.reference_images_per_second,
                   swa::measured_choices_file().c_str());
    }
    nlohmann::json doc = to_json(evaluation);
    if (evaluation.float32) {
      const nlohmann::json change = precision_change(evaluation, precision);
      doc["precision_change"] = change;
      if (!flags.quiet) {
        std::fprintf(stderr,
                     "swa-eval: %s against float32 on the same images: top-1 %+.2f points, NLL "
                     "%+.4f (float32: %.2f %%, %.4f)\n",
                     precision.c_str(), change["top1_change"].get<double>(),
                     change["nll_change"].get<double>(), change["float32_top1"].get<double>(),
                     change["float32_nll"].get<double>());
      }
    }
    if (!ranks.leads()) return swa::kExitOk;
    if (!flags.json.empty()) swa::emit_json(doc, flags.json);
    if (flags.json != "-" && !flags.quiet) print_table(evaluation);
    return swa::kExitOk;
  });
}
