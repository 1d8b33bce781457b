// swa-average: weighted average of snapshots, written as .pt, .h5 or .safetensors.
#include <unistd.h>

#include <cmath>
#include <iomanip>
#include <iostream>

#include "formats/output_guard.h"
#include "lib/averaging/average_plan.h"
#include "lib/averaging/average_snapshots.h"
#include "lib/runtime/plural.h"
#include "tools/common/number_checks.h"
#include "tools/common/run_tool.h"
#include "tools/common/shared_options.h"

namespace {

// What swa-average says on stderr after averaging; the warnings also with --quiet.
void print_summary(const swa::AveragePlan& plan, const swa::AverageSummary& summary,
                   const std::string& output, double soft_threshold, bool quiet) {
  if (!quiet) {
    std::cerr << "swa-average: " << swa::count_of(plan.inputs.size(), "snapshot") << " ("
              << plan.weighting << "), " << swa::count_of(summary.tensors_averaged, "tensor")
              << " averaged, " << summary.tensors_from_base << " from base -> " << output << "\n";
  }
  if (soft_threshold > 0 && !quiet) {
    std::cerr << "swa-average: soft threshold " << soft_threshold << ": sparsity " << std::fixed
              << std::setprecision(2) << 100 * summary.sparsity() << "% (" << summary.zero_elements
              << " of " << summary.thresholded_elements << " conv/linear weights are zero)\n";
  }
  if (soft_threshold > 0 && summary.thresholded_elements > 0 &&
      summary.zero_elements == summary.thresholded_elements) {
    std::cerr << "swa-average: WARNING: --soft-threshold " << std::defaultfloat
              << std::setprecision(6) << soft_threshold
              << " zeroes every conv/linear weight (sparsity 100%): the model computes "
                 "nothing; choose a smaller LAMBDA\n";
  }
  if (summary.bn_state == swa::bn_state::kAveraged) {
    std::cerr << "swa-average: BatchNorm statistics are averaged; run swa-bn before evaluating\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Average snapshots (Stochastic Weight Averaging).", "swa-average"};
  app.footer(R"(Examples:
  swa-average runs/a/snapshots/ -o swa.pt
  swa-average 'snapshots/*.h5' --last 4 -o swa.h5
  swa-average snapshots/ --weighting softmax:val_acc:0.5 -o swa.safetensors
  swa-average snapshots/ --ema 0.9 -o ema.pt
  swa-average 'checkpoints/epoch=*.ckpt' -o swa.pt    # Lightning, timm, torch.save(state_dict)
  swa-average ckpts/ --key state_dict_ema -o swa-ema.pt
  swa-average snapshots/ --layers '^layer4\.|^fc\.' --base snapshots/cycle-0006.h5 -o partial.pt

Inputs: files keep the order given; a folder or a quoted glob expands in epoch order.
BatchNorm running statistics are averaged (the output records bn_state=averaged):
run swa-bn on the result before evaluating it.)");
  std::vector<std::string> args;
  std::string output, base, layers, weights_csv, weighting, json_target;
  swa::SelectionOptions selection;
  std::optional<double> ema;
  double soft_threshold = 0;
  bool compress = false, quiet = false;
  swa::ExpandOptions expand;
  int threads = 0;
  app.add_option("inputs", args, "Snapshot files, folders or globs")->required();
  app.add_option("-o,--output", output, "Output file (.pt, .h5, .safetensors)")->required();
  app.add_option("--last", selection.last, "Use only the last K selected snapshots")
      ->check(swa::at_least(1));
  app.add_option("--every", selection.every, "Use every K-th snapshot, starting with the first")
      ->check(swa::at_least(1));
  app.add_option("--from-epoch", selection.from_epoch, "Use snapshots from epoch E on")
      ->check(swa::at_least(0));
  app.add_option("--weights", weights_csv, "Explicit weights w1,w2,... for the selected inputs");
  app.add_option("--weighting", weighting, "softmax:METRIC[:T], e.g. softmax:val_acc:0.5");
  app.add_option("--ema", ema, "Exponential moving average with this DECAY, in input order");
  app.add_flag("--skip-bad-files", expand.skip_bad_files,
               "In folders and globs, skip what is no readable snapshot (a dangling link, an "
               "unreadable file, other bytes) with a warning, instead of stopping");
  app.add_option("--layers", layers, "Average only tensors whose key matches this regex");
  app.add_option(
      "--base", base,
      "Where the other tensors come from (default: the latest input, by epoch and step)");
  app.add_option("--soft-threshold", soft_threshold,
                 "L1 shrink of averaged conv/linear weights by LAMBDA")
      ->check(swa::at_least(0));
  app.add_flag("--compress", compress, "HDF5 output: shuffle + deflate (smaller, slower reads)");
  swa::add_json_option(app, json_target);
  swa::add_state_dict_key_option(app, expand.state_dict_key);
  swa::add_quiet_option(app, quiet);
  swa::add_threads_option(app, threads,
                          "Reading threads (0: one per core; 1: one thread for everything)");
  app.footer(app.get_footer() + R"(

Threads: one reader per core by default, and as many hashing the inputs (SHA-256, remembered
for unchanged files); --threads 1 does everything on one thread.
swa-average does not load LibTorch, whatever the formats: PyTorch files are read and written by
its own zip and data-only pickle code, which never runs anything a file holds.)");

  return swa::run_tool(app, argc, argv, [&] {
    const auto spec = swa::parse_weighting(weights_csv, weighting, ema);
    const auto plan = swa::plan_average(args, selection, spec, expand);
    for (const auto& why : plan.found.skipped)
      std::cerr << "swa-average: WARNING: skipped " << why << "\n";
    if (!plan.found.left_out.empty() && !quiet)
      std::cerr << "swa-average: " << swa::describe_left_out(plan.found) << "\n";
    swa::OutputGuard guard(plan.inputs);  // --json is checked before any work, as -o is
    guard.add_input(base);
    guard.check_json("--json", json_target);
    swa::AverageRequest request;
    request.inputs = plan.inputs;
    request.weights = plan.weights;
    request.weighting = plan.weighting;
    request.output = output;
    request.base = base;
    request.state_dict_key = expand.state_dict_key;
    request.layers_pattern = layers;
    request.soft_threshold = soft_threshold;
    request.write_options.compress = compress;
    request.threads = threads;
    request.progress = !quiet && ::isatty(2);
    const auto summary = swa::average_snapshots(request);

    print_summary(plan, summary, output, soft_threshold, quiet);
    if (!json_target.empty()) {
      nlohmann::json doc = {{"output", output},
                            {"meta", swa::meta_to_json(summary.output_meta)},
                            {"sparsity", summary.sparsity()},
                            {"zero_elements", summary.zero_elements},
                            {"thresholded_elements", summary.thresholded_elements}};
      swa::emit_json(doc, json_target);
    }
    return swa::kExitOk;
  });
}
