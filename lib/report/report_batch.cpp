#include "lib/report/report_batch.h"

#include <filesystem>
#include <set>

#include "formats/atomic_output.h"
#include "formats/input_error.h"
#include "lib/averaging/snapshot_inputs.h"
#include "lib/report/report_files.h"
#include "lib/report/report_json.h"

namespace fs = std::filesystem;

namespace swa {
namespace {

// "runs/a" -> "a"; "runs/a/snapshots" -> "a"; made unique within the batch.
std::string report_name(const std::string& input, std::set<std::string>& taken) {
  fs::path p = fs::path(input).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  std::string name = p.filename().string();
  if (name == "snapshots" && p.has_parent_path()) name = p.parent_path().filename().string();
  if (name.empty() || name == "." || name == "..") name = "run";
  std::string unique = name;
  for (int k = 2; taken.count(unique); ++k) unique = name + "-" + std::to_string(k);
  taken.insert(unique);
  return unique;
}

// The folder whose snapshots a report covers: RUN/snapshots for a swa-train run folder (not
// best.h5 or last.h5), else the folder itself.
std::string snapshot_folder(const std::string& input) {
  const fs::path p(input);
  if (fs::is_directory(p / "snapshots")) return (p / "snapshots").string();
  return input;
}

}  // namespace

ReportBatch run_report_batch(const ReportBatchRequest& req) {
  ReportBatch out;
  out.several = req.inputs.size() > 1;
  std::set<std::string> taken;
  for (const auto& input : req.inputs) {
    RunOutcome run;
    run.source = input;
    const std::string name = report_name(input, taken);
    const std::string dir = out.several ? (fs::path(req.output) / name).string() : req.output;
    try {
      ReportRequest one = req.settings;
      one.source = input;
      const ExpandedInputs found = expand_snapshot_inputs({snapshot_folder(input)}, req.expand);
      if (req.on_expanded) req.on_expanded(found);
      one.snapshots = found.paths;
      run.report = report_to_json(build_report(one));
      if (req.write_files) write_report_files(run.report, dir);
      run.report_dir = out.several ? name : dir;
      if (req.on_report) req.on_report(run, dir);
    } catch (const InputError& e) {
      if (!out.several) throw;
      run.error = e.what();
      if (req.on_error) req.on_error(run);
    }
    out.runs.push_back(std::move(run));
  }
  out.summary = batch_summary(out.runs, req.fail_if_worse);
  if (out.several && req.write_files) {
    write_file_atomically((fs::path(req.output) / "summary.json").string(),
                          out.summary.dump(2) + "\n");
    write_file_atomically((fs::path(req.output) / "summary.md").string(),
                          batch_summary_markdown(out.summary));
  }
  return out;
}

}  // namespace swa
