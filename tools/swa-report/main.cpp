// swa-report: which snapshots help. One report per folder; several folders make a CI batch with
// a summary and an optional quality gate.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>

#include "formats/atomic_output.h"
#include "formats/input_error.h"
#include "lib/averaging/snapshot_inputs.h"
#include "lib/report/batch_summary.h"
#include "lib/report/build_report.h"
#include "lib/report/report_files.h"
#include "lib/runtime/device.h"
#include "lib/runtime/threads.h"
#include "tools/common/run_tool.h"
#include "tools/common/shared_options.h"

namespace fs = std::filesystem;

namespace {

// A swa-train run folder reports its snapshots/ (not best.h5 or last.h5); any other folder
// reports the snapshot files in it.
std::string snapshot_folder(const std::string& arg) {
  const fs::path p(arg);
  if (fs::is_directory(p / "snapshots")) return (p / "snapshots").string();
  return arg;
}

// "runs/a" -> "a"; "runs/a/snapshots" -> "a"; made unique within the batch.
std::string report_name(const std::string& arg, std::set<std::string>& taken) {
  fs::path p = fs::path(arg).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  std::string name = p.filename().string();
  if (name == "snapshots" && p.has_parent_path()) name = p.parent_path().filename().string();
  if (name.empty() || name == "." || name == "..") name = "run";
  std::string unique = name;
  for (int k = 2; taken.count(unique); ++k) unique = name + "-" + std::to_string(k);
  taken.insert(unique);
  return unique;
}

void print_summary_line(const nlohmann::json& r, const std::string& dir) {
  const auto& rec = r["recommendation"];
  std::fprintf(stderr,
               "swa-report: %s: SWA %.2f %% vs best single %.2f %% (val); recommended: %s (%zu "
               "snapshots, %.2f %% val)\n",
               r["source"].get<std::string>().c_str(),
               r["uniform_average"]["validation"]["top1"].get<double>(),
               r["best_single"]["validation"]["top1"].get<double>(),
               rec["name"].get<std::string>().c_str(), rec["members"].size(),
               rec["validation"]["top1"].get<double>());
  std::fprintf(stderr, "swa-report: report in %s/report.md\n", dir.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Which snapshots help: per-snapshot metrics, leave-one-out, greedy soup, ensemble vs "
      "average, output covariance, and a recommendation.",
      "swa-report"};
  app.footer(R"(Examples:
  swa-report runs/ref --data cifar10/                     # report in ./swa-report/
  swa-report runs/ref/snapshots --data cifar10/ -o report/
  swa-report runs/* --data cifar10/ -o reports/ --fail-if-worse 0.5 --json -   # CI batch

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
  app.add_option("--bn-samples", bn_samples,
                 "Training images for each BatchNorm re-estimation (fixed, seeded)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  bool bn_plain = false;
  app.add_flag("--bn-no-augment", bn_plain,
               "Re-estimate BatchNorm on the images as stored (default: random crop + flip, as in "
               "training)");
  app.add_option("--cpis-top", cpis_top,
                 "Percent of snapshots, by output-covariance importance, in that subset")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 100.0));
  app.add_option(
      "--fail-if-worse", fail_if_worse,
      "Exit 3 when SWA trails the best single snapshot by more than TOL validation points");
  app.add_flag("--no-test", no_test, "Skip the test split altogether");
  app.add_flag("-q,--quiet", quiet, "No progress on stderr");
  swa::add_batch_size_option(app, batch_size);
  swa::add_device_option(app, device);
  swa::add_json_option(app, json_target);
  swa::add_threads_option(app, threads);
  swa::add_state_dict_key_option(app);

  return swa::run_tool(app, argc, argv, [&] {
    swa::set_compute_threads(threads);
    swa::ReportRequest base;
    base.data = {data_dir, validation_size};
    base.bn_samples = bn_samples;
    base.cpis_top_percent = cpis_top;
    base.evaluate_test = !no_test;
    base.scoring.batch_size = batch_size;
    base.scoring.bn_augment = !bn_plain;
    base.scoring.device = swa::resolve_device(device);
    base.scoring.progress = !quiet && ::isatty(2);
    base.log = !quiet;
    // An unwritable destination fails before hours of compute, not after.
    swa::require_writable_folder(
        fs::is_directory(output) ? (fs::path(output) / "report.json").string() : output);
    swa::locate_cifar10(data_dir);  // a missing dataset fails before any snapshot is read

    const bool batch = inputs.size() > 1;
    std::set<std::string> taken;
    std::vector<swa::RunOutcome> outcomes;
    for (const auto& input : inputs) {
      swa::RunOutcome run;
      run.source = input;
      const std::string name = report_name(input, taken);
      const std::string dir = batch ? (fs::path(output) / name).string() : output;
      try {
        swa::ReportRequest req = base;
        req.source = input;
        req.snapshots = swa::expand_snapshot_inputs({snapshot_folder(input)});
        run.report = swa::build_report(req);
        swa::write_report_files(run.report, dir);
        run.report_dir = batch ? name : dir;
        if (!quiet) print_summary_line(run.report, dir);
      } catch (const swa::InputError& e) {
        if (!batch) throw;
        std::cerr << "swa-report: error: " << e.what() << "\n";
        run.error = e.what();
      }
      outcomes.push_back(std::move(run));
    }

    const nlohmann::json summary = swa::batch_summary(outcomes, fail_if_worse);
    if (batch) {
      swa::write_file_atomically((fs::path(output) / "summary.json").string(),
                                 summary.dump(2) + "\n");
      swa::write_file_atomically((fs::path(output) / "summary.md").string(),
                                 swa::batch_summary_markdown(summary));
      if (!quiet) std::fprintf(stderr, "swa-report: summary in %s/summary.md\n", output.c_str());
    }
    if (!json_target.empty()) {
      nlohmann::json doc = summary;
      if (batch) {
        doc["reports"] = nlohmann::json::array();
        for (const auto& run : outcomes) doc["reports"].push_back(run.report);
      }
      swa::emit_json(batch ? doc : outcomes.front().report, json_target);
    }
    for (const auto& source : summary["failed_gate"]) {
      std::fprintf(stderr,
                   "swa-report: GATE FAILED: %s: SWA trails the best single snapshot by more than "
                   "%.2f points\n",
                   source.get<std::string>().c_str(), *fail_if_worse);
    }
    if (!summary["errors"].empty()) return swa::kExitBadInput;
    if (!summary["failed_gate"].empty()) return swa::kExitGateFailed;
    return swa::kExitOk;
  });
}
