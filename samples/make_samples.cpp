// swa-make-samples: writes example snapshots of a named architecture, as a training run along a
// cyclic schedule would leave them: one shared starting point plus a different perturbation per
// cycle, with metadata (epoch, cycle, lr, metrics) filled in. For demos, tests and benchmarks;
// the weights are random, not trained.
#include <filesystem>
#include <iostream>

#include "formats/snapshot.h"
#include "lib/models/resnet.h"
#include "lib/models/state_dict.h"
#include "lib/runtime/threads.h"
#include "tools/common/run_tool.h"
#include "tools/common/shared_options.h"

int main(int argc, char** argv) {
  CLI::App app{"Write example snapshots (random weights) of a ResNet.", "swa-make-samples"};
  app.footer(R"(Example:
  swa-make-samples --arch resnet50 --count 10 --out /tmp/snaps --format h5)");
  std::string arch = "resnet18-cifar-w8", out_dir, format = "h5";
  int64_t num_classes = 10, seed = 0;
  int count = 4, epochs_per_cycle = 1, first_epoch = 6, threads = 0;
  double noise = 0.01;
  app.add_option("--arch", arch, "Architecture name")->capture_default_str();
  app.add_option("--num-classes", num_classes, "Classes")->capture_default_str();
  app.add_option("--count", count, "Number of snapshots")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--out", out_dir, "Folder to write into (created)")->required();
  app.add_option("--format", format, "h5, pt or safetensors")
      ->capture_default_str()
      ->check(CLI::IsMember({"h5", "pt", "safetensors"}));
  app.add_option("--seed", seed, "Random seed")->capture_default_str();
  app.add_option("--noise", noise, "Relative size of each snapshot's perturbation")
      ->capture_default_str();
  app.add_option("--first-epoch", first_epoch, "Epoch of the first snapshot")
      ->capture_default_str();
  swa::add_threads_option(app, threads);

  return swa::run_tool(app, argc, argv, [&] {
    swa::set_compute_threads(threads);
    torch::manual_seed(seed);
    auto model = swa::make_resnet(arch, num_classes);
    const swa::StateDict start = swa::state_dict(*model);
    std::filesystem::create_directories(out_dir);
    torch::NoGradGuard no_grad;
    for (int c = 0; c < count; ++c) {
      swa::StateDict state;
      for (const auto& [key, t] : start) {
        torch::Tensor v = t.clone();
        if (v.is_floating_point()) {
          const double scale = noise * (v.numel() > 1 ? v.std().item<double>() + 1e-3 : 1.0);
          v.add_(torch::randn_like(v) * scale);
          if (key.size() > 12 && key.compare(key.size() - 12, 12, ".running_var") == 0) v.abs_();
        } else {
          v.fill_(100 * (c + 1));  // num_batches_tracked
        }
        state.emplace_back(key, v);
      }
      swa::SnapshotMeta meta;
      meta.arch = model->spec().name();
      meta.num_classes = num_classes;
      meta.epoch = first_epoch + (c + 1) * epochs_per_cycle;
      meta.cycle = c + 1;
      meta.step = meta.epoch * 100;
      meta.lr = 0.0005;
      meta.train_loss = 0.5 - 0.01 * c;
      meta.train_acc = 80.0 + c;
      meta.val_loss = 0.6 - 0.005 * c;
      meta.val_acc = 78.0 + 0.5 * c;
      meta.seed = seed;
      meta.created_utc = swa::utc_now_iso8601();
      meta.producer = swa::producer_string("swa-make-samples");
      meta.config = {{"sample", true}, {"noise", noise}};
      char name[64];
      std::snprintf(name, sizeof(name), "cycle-%04d.%s", c + 1, format.c_str());
      const std::string path = (std::filesystem::path(out_dir) / name).string();
      swa::save_snapshot(path, meta, state);
      std::cerr << "wrote " << path << "\n";
    }
    return swa::kExitOk;
  });
}
