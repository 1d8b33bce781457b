// swa-train: train a ResNet on CIFAR-10 with a cyclic schedule, one HDF5 snapshot per cycle end.
#include <iostream>

#include "formats/input_error.h"
#include "lib/distributed/ranks.h"
#include "lib/runtime/device.h"
#include "lib/runtime/plural.h"
#include "lib/runtime/signals.h"
#include "lib/runtime/threads.h"
#include "lib/training/train_run.h"
#include "tools/common/run_tool.h"
#include "tools/common/shared_options.h"

namespace {

// Which images and which model: --data, --val-size, --batch-size, --train-samples, augmentation,
// --arch, --init, --seed.
void add_data_and_model_options(CLI::App& app, swa::TrainConfig& c) {
  app.option_defaults()->group("Data");
  swa::add_data_options(app, c.data.dir, c.data.validation_size);
  swa::add_batch_size_option(app, c.batch_size, "Images per step");
  app.add_option("--train-samples", c.train_samples,
                 "Train on a seeded subset of N images (0: all)");
  app.add_flag("!--no-augment", c.augment, "Train on the images as stored (no random crop + flip)");
  app.option_defaults()->group("Model");
  app.add_option("--arch", c.arch, "Architecture")->capture_default_str();
  app.add_option("--init", c.init,
                 "Start from this snapshot's weights (any format) instead of a random init");
  app.add_option("--seed", c.seed, "Seed for weights, shuffling and augmentation")
      ->capture_default_str();
}

// The optimizer's flags and the learning-rate schedule's, before and in the SWA phase (the
// names PyTorch's schedulers give them: CyclicLR's base_lr/max_lr, SWALR's swa_lr).
void add_optimizer_and_schedule_options(CLI::App& app, swa::TrainConfig& c) {
  auto& s = c.schedule;
  app.option_defaults()->group("Optimizer");
  app.add_option("--lr", s.lr, "Base learning rate")->capture_default_str();
  app.add_option("--momentum", c.momentum, "SGD momentum")->capture_default_str();
  app.add_flag("--nesterov", c.nesterov, "Nesterov momentum");
  app.add_option("--weight-decay", c.weight_decay, "Weight decay")->capture_default_str();
  app.add_option("--label-smoothing", c.label_smoothing, "Label smoothing")->capture_default_str();
  app.option_defaults()->group("Schedule");
  app.add_option("--epochs", s.epochs, "Epochs in all (SWA phase included)")->capture_default_str();
  app.add_option("--warmup-epochs", s.warmup_epochs, "Linear warm-up epochs")
      ->capture_default_str();
  app.add_option("--schedule", s.schedule, "The rate before SWA")
      ->capture_default_str()
      ->check(CLI::IsMember({"constant", "step", "cosine"}));
  app.add_option("--step-epochs", s.step_epochs, "step: epochs between decays")
      ->capture_default_str();
  app.add_option("--step-gamma", s.step_gamma, "step: decay factor")->capture_default_str();
  app.option_defaults()->group("SWA phase");
  app.add_option("--swa-start", s.swa_start_epoch, "Epochs before the SWA phase (-1: none)")
      ->capture_default_str();
  app.add_option("--swa-schedule", s.swa_schedule, "The rate in the SWA phase")
      ->capture_default_str()
      ->check(CLI::IsMember(
          {"cyclic", "triangular", "triangular2", "exp_range", "cosine-restarts", "constant"}));
  app.add_option("--cycle-epochs", s.cycle_epochs, "cyclic/cosine-restarts: epochs per cycle")
      ->capture_default_str();
  app.add_option("--swa-lr-max", s.swa_lr_max, "cyclic/cosine-restarts: rate at a cycle's start")
      ->capture_default_str();
  app.add_option("--swa-lr-min", s.swa_lr_min, "cyclic/cosine-restarts: rate at a cycle's end")
      ->capture_default_str();
  app.add_option("--restart-mult", s.restart_mult, "cosine-restarts: T_mult")
      ->capture_default_str();
  app.add_option("--base-lr", s.cyclic_base_lr, "triangular*/exp_range: CyclicLR base_lr")
      ->capture_default_str();
  app.add_option("--max-lr", s.cyclic_max_lr, "triangular*/exp_range: CyclicLR max_lr")
      ->capture_default_str();
  app.add_option("--step-size-up", s.cyclic_step_size_up, "triangular*/exp_range: iterations up")
      ->capture_default_str();
  app.add_option("--gamma", s.cyclic_gamma, "exp_range: gamma")->capture_default_str();
  app.add_option("--swa-lr", s.swa_lr, "constant (SWALR): the SWA rate")->capture_default_str();
  app.add_option("--anneal-epochs", s.anneal_epochs, "constant (SWALR): annealing epochs")
      ->capture_default_str();
  app.add_option("--anneal-strategy", s.anneal_strategy, "constant (SWALR): annealing shape")
      ->capture_default_str()
      ->check(CLI::IsMember({"cos", "linear"}));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Train a ResNet on CIFAR-10 and snapshot the weights at every SWA cycle end.",
               "swa-train"};
  app.footer(R"(Examples:
  # the reference recipe: warm-up to 0.1 in epoch 1, 0.1 to epoch 6, then 6 one-epoch cycles
  swa-train --data cifar10/ --out runs/ref --val-size 0 --epochs 12 --lr 0.1 --warmup-epochs 1 \
            --swa-start 6 --swa-schedule cyclic --cycle-epochs 1 \
            --swa-lr-max 0.05 --swa-lr-min 0.0005
  swa-train --data cifar10/ --out runs/tiny --arch resnet18-cifar-w8 --epochs 4 --swa-start 2
  swa-train --resume runs/ref          # after a crash: continue from the last completed epoch
  swa-train --print-schedule --epochs 12 --swa-start 6 --data cifar10/
  swa-launch --nproc 2 swa-train --data cifar10/ --out runs/dp --sync-bn   # data-parallel

RUN_DIR gets snapshots/cycle-NNNN.h5, best.h5 (best validation accuracy), last.h5 (resume
state, rewritten each epoch) and log.jsonl (one line per epoch).)");
  swa::TrainConfig c;
  std::string resume_dir;
  bool print_schedule = false, quiet = false;
  int threads = 0;
  auto& s = c.schedule;
  // A flag given twice takes its last value, so scripts can override a base command line.
  // --help lists the options under these headings, in this order.
  app.option_defaults()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->group("Run control");
  app.add_option("-o,--output,--out", c.run_dir, "Run folder (created)");
  auto* resume_option =
      app.add_option("--resume", resume_dir, "Continue the run in this folder from its last.h5");
  app.add_flag("--overwrite", c.overwrite,
               "Start again in a run folder that holds another run (its config, log and "
               "snapshots are removed first; without this flag such a folder is refused)")
      ->excludes(resume_option);
  add_data_and_model_options(app, c);
  add_optimizer_and_schedule_options(app, c);
  app.option_defaults()->group("Run control");
  app.add_option("--early-stop-patience", c.early_stop_patience,
                 "Stop after N epochs of rising validation loss (0: never)")
      ->capture_default_str();
  app.add_option("--amp", c.amp,
                 "Mixed precision: fp32, bf16 or fp16 (autocast; fp16 with loss scaling, "
                 "CUDA only)")
      ->capture_default_str()
      ->check(swa::dtype_name_check());
  bool deterministic = false;
  app.add_flag(
      "--deterministic", deterministic,
      "Deterministic kernels only (GPU: cuDNN too). CPU runs here are reproducible anyway");
  app.add_flag("--print-schedule", print_schedule,
               "Print the rate per epoch (first, last iteration) and exit");
  swa::add_device_option(app, c.device);
  swa::add_threads_option(app, threads);
  swa::add_quiet_option(app, quiet);
  app.add_flag("--sync-bn", c.sync_bn,
               "Several ranks: BatchNorm statistics over the whole global batch (SyncBatchNorm)")
      ->group("Several processes");
  swa::DistributedOptions distributed;
  swa::add_distributed_options(app, distributed);

  // Nothing to do without a run folder: a usage error (CLI11's code, as every tool's), not bad
  // input.
  app.parse_complete_callback([&] {
    if (c.run_dir.empty() && resume_dir.empty() && !print_schedule)
      throw CLI::RequiredError("--out RUN_DIR (or --resume RUN_DIR)");
  });
  return swa::run_tool(app, argc, argv, [&] {
    swa::set_compute_threads(threads);
    if (deterministic) {
      at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/false);
      at::globalContext().setDeterministicCuDNN(true);
      at::globalContext().setBenchmarkCuDNN(false);
    }
    // Under torchrun, swa-launch or SLURM: data-parallel, one GPU per local rank, rank 0 speaks.
    const swa::Ranks& ranks = swa::Ranks::join_from_environment(distributed);
    if (!ranks.leads()) quiet = true;
    c.device = ranks.local_device(swa::resolve_device(c.device)).str();  // as every tool does
    c.progress = c.epoch_lines = !quiet;
    if (print_schedule) {
      s.iterations_per_epoch = swa::iterations_per_epoch(swa::images_per_epoch(c), c.batch_size);
      std::fputs(swa::schedule_table(s).c_str(), stdout);
      return swa::kExitOk;
    }
    const bool resume = !resume_dir.empty();
    if (resume) c.run_dir = resume_dir;
    if (resume && app.count("--epochs") == 0) s.epochs = 0;  // keep the saved epoch count
    swa::stop_at_safe_points();  // Ctrl-C: finish the step, keep last.h5, say how to resume
    const swa::TrainSummary summary = swa::train(c, resume);
    if (!quiet) {
      std::cerr << "swa-train: " << swa::count_of(summary.snapshots_written, "snapshot") << " in "
                << c.run_dir << "/snapshots (" << summary.stop << ")\n";
    }
    return swa::kExitOk;
  });
}
