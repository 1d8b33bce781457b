// swa-bn: re-estimate BatchNorm statistics for a snapshot's weights (as update_bn does).
#include <iostream>

#include "lib/batchnorm/batchnorm_snapshot.h"
#include "lib/runtime/device.h"
#include "lib/runtime/threads.h"
#include "tools/common/run_tool.h"
#include "tools/common/shared_options.h"

int main(int argc, char** argv) {
  CLI::App app{"Recompute BatchNorm statistics for a snapshot (torch.optim.swa_utils.update_bn).",
               "swa-bn"};
  app.footer(R"(Examples:
  swa-bn swa.pt --data cifar10/ -o swa-bn.pt
  swa-bn swa.h5 --data cifar10/ --samples 10000 -o swa-bn.h5      # faster estimate
  swa-bn swa.pt --data cifar10/ --val-size 0 --device cuda -o swa-bn.safetensors

One pass over the training split (the training files minus the validation hold-out), in order,
without augmentation unless --augment. The output records bn_state=recomputed.)");
  swa::BatchNormRequest req;
  std::string split = "train", device = "auto", json_target;
  int threads = 0;
  app.add_option("input", req.input, "Snapshot (.h5, .pt, .safetensors)")->required();
  app.add_option("-o,--output", req.output, "Output snapshot")->required();
  swa::add_data_options(app, req.data.dir, req.data.validation_size);
  app.add_option("--split", split, "Images to use: train, val or test")->capture_default_str();
  app.add_option("--samples", req.samples, "Use a fixed, seeded subset of N images (0: all)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--seed", req.pass.seed, "Seed for --samples and --augment")->capture_default_str();
  app.add_flag("--augment", req.pass.augment, "Random crop + flip, as in training");
  app.add_option("--arch", req.arch_override, "Architecture, for files without metadata");
  swa::add_batch_size_option(app, req.pass.batch_size);
  swa::add_device_option(app, device);
  swa::add_json_option(app, json_target);
  swa::add_threads_option(app, threads);

  return swa::run_tool(app, argc, argv, [&] {
    swa::set_compute_threads(threads);
    req.split = swa::parse_split(split);
    req.pass.device = swa::resolve_device(device);
    const auto summary = swa::recompute_snapshot_batchnorm(req);
    std::cerr << "swa-bn: " << summary["images"] << " images on " << summary["device"].get<std::string>()
              << ", " << static_cast<int64_t>(summary["images_per_second"].get<double>())
              << " img/s -> " << req.output << " (bn_state=recomputed)\n";
    if (!json_target.empty()) swa::emit_json(summary, json_target);
    return swa::kExitOk;
  });
}
