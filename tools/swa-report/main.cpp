// swa-report: which snapshots help. One report per folder; several folders make a CI batch with
// a summary and an optional quality gate.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

#include "formats/atomic_output.h"
#include "formats/input_error.h"
#include "formats/output_guard.h"
#include "lib/averaging/snapshot_inputs.h"
#include "lib/data/open_example_source.h"
#include "lib/distributed/ranks.h"
#include "lib/report/report_batch.h"
#include "lib/runtime/device.h"
#include "lib/runtime/plural.h"
#include "lib/runtime/threads.h"
#include "tools/common/number_checks.h"
#include "tools/common/run_tool.h"
#include "tools/common/shared_options.h"

namespace fs = std::filesystem;

namespace {

void print_summary_line(const nlohmann::json& r, const std::string& dir) {
  const auto& rec = r.at("recommendation");
  std::fprintf(stderr,
               "swa-report: %s: SWA %.2f %% vs best single %.2f %% (val); recommended: %s (%s, "
               "%.2f %% val)\n",
               r.at("source").get<std::string>().c_str(),
               r.at("uniform_average").at("validation").at("top1").get<double>(),
               r.at("best_single").at("validation").at("top1").get<double>(),
               rec.at("name").get<std::string>().c_str(),
               swa::count_of(rec.at("members").size(), "snapshot").c_str(),
               rec.at("validation").at("top1").get<double>());
  std::fprintf(stderr, "swa-report: report in %s/report.md\n", dir.c_str());
}

// Every file in the input folders (and their snapshots/): what the report reads, for the output
// guard. Listed by name only; the report's own expansion checks them.
std::vector<std::string> snapshot_folder_files(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& in : inputs) {
    for (const fs::path& dir : {fs::path(in), fs::path(in) / "snapshots"}) {
      for (const auto& e : fs::directory_iterator(dir, ec)) files.push_back(e.path().string());
    }
  }
  return files;
}

// How candidates are scored: --bn-samples, --bn-no-augment, --cpis-top, --fail-if-worse,
// --no-test.
void add_scoring_options(CLI::App& app, int64_t& bn_samples, bool& bn_plain, double& cpis_top,
                         std::optional<double>& fail_if_worse, bool& no_test) {
  app.add_option("--bn-samples", bn_samples,
                 "Training images for each BatchNorm re-estimation (fixed, seeded)")
      ->capture_default_str()
      ->check(swa::at_least(1));
  app.add_flag("--bn-no-augment", bn_plain,
               "Re-estimate BatchNorm on the images as stored (default: random crop + flip, as in "
               "training)");
  app.add_option("--cpis-top", cpis_top,
                 "Percent of snapshots, by output-covariance importance, in that subset")
      ->capture_default_str()
      ->check(swa::between(1, 100));
  app.add_option(
      "--fail-if-worse", fail_if_worse,
      "Exit 3 when SWA trails the best single snapshot by more than TOL validation points");
  app.add_flag("--no-test", no_test, "Skip the test split altogether");
}

// --bn-data, --val-data, --test-data: a TorchScript model's tensor files.
void add_tensor_data_options(CLI::App& app, std::string& bn_data, std::string& val_data,
                             std::string& test_data) {
  app.add_option("--bn-data", bn_data,
                 "With --model: the tensor file BatchNorm is re-estimated on (whole; labels not "
                 "needed)")
      ->group("Your model and data");
  app.add_option("--val-data", val_data, "With --model: the validation tensor file (selection)")
      ->group("Your model and data");
  app.add_option("--test-data", test_data,
                 "With --model: the test tensor file (final candidates; none: no test scores). "
                 "--data DIR with train.*, val.*, test.* files gives all three")
      ->group("Your model and data");
}

struct TensorDataFiles {
  std::string bn, val, test;
};

// Flags that do not go together, and what the report would read or write over, refused before
// any work: an unwritable destination fails before hours of compute, not after (the folder
// itself is created, with its parents, when the report is written).
void refuse_bad_inputs(const std::vector<std::string>& inputs, const std::string& output,
                       const std::string& json_target, const std::string& data_dir,
                       const swa::ModelDataFlags& model_data, const TensorDataFiles& files) {
  if (model_data.model.empty() && !(files.bn.empty() && files.val.empty() && files.test.empty()))
    throw swa::InputError("--bn-data/--val-data/--test-data", "are read with --model");
  if (!model_data.model.empty() && files.val.empty() != files.bn.empty())
    throw swa::InputError(files.val.empty() ? "--bn-data" : "--val-data",
                          "give --bn-data and --val-data together (and --test-data)");
  swa::OutputGuard guard(snapshot_folder_files(inputs));
  for (const auto& f : swa::data_files(data_dir)) guard.add_input(f);
  for (const auto* f : {&model_data.model, &files.bn, &files.val, &files.test})
    if (!f->empty()) guard.add_input(*f);
  guard.check_folder("-o", output,
                     {"report.json", "report.md", "summary.json", "summary.md", "*.svg"});
  guard.check_json("--json", json_target);
  if (model_data.model.empty()) {
    swa::locate_cifar10(data_dir);  // a missing dataset fails before any snapshot is read
  } else if (files.val.empty() && data_dir.empty()) {
    throw swa::InputError("--data",
                          "required: a CIFAR-10 folder, a folder of train.*, val.*, "
                          "test.* tensor files, or --bn-data and --val-data");
  }
}

// The summary, --json and the gate's verdict; the exit code.
int report_outcome(const swa::ReportBatch& result, const std::string& output,
                   const std::string& json_target, const std::optional<double>& fail_if_worse,
                   bool quiet, const swa::Ranks& ranks) {
  const nlohmann::json& summary = result.summary;
  if (result.several && !quiet) {
    std::fprintf(stderr, "swa-report: summary in %s/summary.md\n", output.c_str());
  }
  if (!json_target.empty() && ranks.leads()) {
    nlohmann::json doc = summary;
    if (result.several) {
      doc["reports"] = nlohmann::json::array();
      for (const auto& run : result.runs) doc["reports"].push_back(run.report);
    }
    swa::emit_json(result.several ? doc : result.runs.front().report, json_target);
  }
  for (const auto& source : summary.at("failed_gate")) {
    if (ranks.leads())
      std::fprintf(stderr,
                   "swa-report: GATE FAILED: %s: SWA trails the best single snapshot by more than "
                   "%.2f points\n",
                   source.get<std::string>().c_str(), *fail_if_worse);
  }
  if (!summary.at("errors").empty()) return swa::kExitBadInput;
  if (!summary.at("failed_gate").empty()) return swa::kExitGateFailed;
  return swa::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Which snapshots help: per-snapshot metrics, leave-one-out, greedy soup, ensemble vs "
      "average,\noutput covariance, and a recommendation.",
      "swa-report"};
  app.footer(R"(Examples:
  swa-report runs/ref --data cifar10/                     # report in ./swa-report/
  swa-report runs/ref/snapshots --data cifar10/ -o report/
  swa-report runs/* --data cifar10/ -o reports/ --fail-if-worse 0.5 --json -   # CI batch
  swa-report ckpts/ --model model.ts --bn-data train.pt --val-data val.pt --test-data test.pt

Selection uses the validation split only (--val-size images held out of the training files);
the test split is evaluated for the final candidates. Several folders: one report per folder in
REPORT_DIR/<name>/ plus REPORT_DIR/summary.md and summary.json.
Exit codes: 0 ok, 1 bad input (any folder), 3 --fail-if-worse gate failed, 4 internal error.)");
  std::vector<std::string> inputs;
  std::string output = "swa-report", data_dir, device = "auto", json_target;
  int64_t validation_size = swa::kDefaultValidationSize, batch_size = 500, bn_samples = 10000;
  double cpis_top = 50;
  std::optional<double> fail_if_worse;
  int threads = 0;
  bool no_test = false, quiet = false;
  app.add_option("inputs", inputs, "swa-train run folders or folders of snapshots")->required();
  app.add_option("-o,--output", output, "Report folder")->capture_default_str();
  swa::add_data_options(app, data_dir, validation_size);
  bool bn_plain = false;
  add_scoring_options(app, bn_samples, bn_plain, cpis_top, fail_if_worse, no_test);
  swa::ExpandOptions expand;
  app.add_flag("--skip-bad-files", expand.skip_bad_files,
               "Skip what is no readable snapshot in a folder (a dangling link, an unreadable "
               "file, other bytes) with a warning, instead of stopping");
  swa::add_quiet_option(app, quiet);
  swa::add_batch_size_option(app, batch_size);
  swa::add_device_option(app, device);
  swa::add_json_option(app, json_target);
  swa::add_threads_option(app, threads);
  swa::add_state_dict_key_option(app, expand.state_dict_key);

  swa::ModelDataFlags model_data;
  swa::add_model_data_options(app, model_data);
  std::string bn_data, val_data, test_data;
  add_tensor_data_options(app, bn_data, val_data, test_data);
  swa::DistributedOptions distributed;
  swa::add_distributed_options(app, distributed);

  return swa::run_tool(app, argc, argv, [&] {
    swa::set_compute_threads(threads);
    // Under torchrun or swa-launch every pass is shared out by batch; rank 0 speaks and writes.
    const swa::Ranks& ranks = swa::Ranks::join_from_environment(distributed);
    if (!ranks.leads()) quiet = true;
    swa::ReportRequest base;
    base.data = {data_dir, validation_size};
    base.state_dict_key = expand.state_dict_key;
    base.bn_samples = bn_samples;
    base.cpis_top_percent = cpis_top;
    base.evaluate_test = !no_test;
    base.scoring.batch_size = batch_size;
    base.scoring.bn_augment = !bn_plain;
    base.scoring.device = ranks.local_device(swa::resolve_device(device));
    base.scoring.progress = !quiet && ::isatty(2);
    base.log_prefix = quiet ? "" : "swa-report";
    base.model = model_data.model;
    base.bn_data = bn_data;
    base.val_data = val_data;
    base.test_data = test_data;
    base.tensors = {model_data.input_key, model_data.label_key, true, model_data.mean,
                    model_data.std};
    refuse_bad_inputs(inputs, output, json_target, data_dir, model_data,
                      {bn_data, val_data, test_data});

    swa::ReportBatchRequest request;
    request.inputs = inputs;
    request.output = output;
    request.settings = base;
    request.fail_if_worse = fail_if_worse;
    request.on_report = [&](const swa::RunOutcome& run, const std::string& dir) {
      if (!quiet) print_summary_line(run.report, dir);
    };
    request.on_error = [&](const swa::RunOutcome& run) {
      if (ranks.leads()) std::cerr << "swa-report: error: " << run.error << "\n";
    };
    request.write_files = ranks.leads();
    request.expand = expand;
    request.on_expanded = [&](const swa::ExpandedInputs& found) {
      if (!ranks.leads()) return;
      for (const auto& why : found.skipped)
        std::cerr << "swa-report: WARNING: skipped " << why << "\n";
      if (!found.left_out.empty() && !quiet)
        std::cerr << "swa-report: " << swa::describe_left_out(found) << "\n";
    };
    const swa::ReportBatch result = swa::run_report_batch(request);
    return report_outcome(result, output, json_target, fail_if_worse, quiet, ranks);
  });
}
