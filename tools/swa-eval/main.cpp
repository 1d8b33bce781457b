// swa-eval: a checkpoint's accuracy, NLL, calibration and per-class results on CIFAR-10.
#include <cstdio>
#include <iostream>

#include "lib/evaluation/evaluate_snapshot.h"
#include "lib/runtime/device.h"
#include "lib/runtime/threads.h"
#include "tools/common/run_tool.h"
#include "tools/common/shared_options.h"

namespace {

void print_table(const nlohmann::json& r) {
  const auto& m = r["metrics"];
  std::printf("%s  (%s, bn_state=%s)\n", r["checkpoint"].get<std::string>().c_str(),
              r["arch"].get<std::string>().c_str(), r["bn_state"].get<std::string>().c_str());
  std::printf("split %-5s  images %lld\n", r["split"].get<std::string>().c_str(),
              static_cast<long long>(m["images"].get<int64_t>()));
  std::printf("  top-1 %7.2f %%   top-5 %7.2f %%   NLL %.4f   ECE %.4f\n", m["top1"].get<double>(),
              m["top5"].get<double>(), m["nll"].get<double>(), m["ece"].get<double>());
  std::printf("  per class:");
  int i = 0;
  for (const auto& [name, acc] : m["per_class_accuracy"].items()) {
    std::printf("%s %-10s %6.2f", (i++ % 4 == 0) ? "\n   " : "", name.c_str(),
                acc.is_null() ? 0.0 : acc.get<double>());
  }
  std::printf("\n  confusion (rows: true class, columns: predicted):\n");
  for (const auto& row : m["confusion"]) {
    std::printf("   ");
    for (const auto& v : row) std::printf(" %5lld", static_cast<long long>(v.get<int64_t>()));
    std::printf("\n");
  }
  std::printf("  %.0f images/s on %s (forward %.2fs, total %.2fs)\n",
              r["images_per_second"].get<double>(), r["device"].get<std::string>().c_str(),
              r["forward_seconds"].get<double>(), r["total_seconds"].get<double>());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Evaluate a checkpoint on CIFAR-10.", "swa-eval"};
  app.footer(R"(Examples:
  swa-eval swa-bn.pt --data cifar10/
  swa-eval cycle-0003.h5 --data cifar10/ --split val --json -
  swa-eval model.pt --arch resnet50 --data cifar10/ --device cuda

Metrics: top-1, top-5 (percent), NLL (nats), ECE (15 equal-width bins), per-class accuracy,
confusion matrix, images/s. Selection should use --split val; report --split test at the end.)");
  swa::EvaluationRequest req;
  swa::ImageToolFlags flags;
  flags.split = "test";
  flags.validation_size = swa::kDefaultValidationSize;
  bool no_fold = false;
  app.add_option("checkpoint", req.checkpoint, "Snapshot (.h5, .pt, .safetensors)")->required();
  swa::add_image_tool_options(app, flags, "test, val or train");
  app.add_option("--arch", req.arch_override, "Architecture, for files without metadata");
  app.add_flag("--no-fold", no_fold, "Keep BatchNorm separate (slower; for checking)");

  return swa::run_tool(app, argc, argv, [&] {
    swa::set_compute_threads(flags.threads);
    req.data = {flags.data_dir, flags.validation_size};
    req.split = swa::parse_split(flags.split);
    req.predict.batch_size = flags.batch_size;
    req.predict.device = swa::resolve_device(flags.device);
    req.predict.fold_batchnorm = !no_fold;
    const auto report = swa::evaluate_snapshot(req);
    for (const auto& w : report["warnings"])
      std::cerr << "swa-eval: WARNING: " << w.get<std::string>() << "\n";
    if (flags.json.empty()) {
      print_table(report);
    } else {
      swa::emit_json(report, flags.json);
      if (flags.json != "-") print_table(report);
    }
    return swa::kExitOk;
  });
}
