// swa-report's job over several folders: one report per run folder, and for a CI batch a summary
// of all of them with the --fail-if-worse gate (lib/report/batch_summary.h).
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lib/averaging/snapshot_inputs.h"
#include "lib/report/batch_summary.h"
#include "lib/report/build_report.h"

namespace swa {

struct ReportBatchRequest {
  std::vector<std::string> inputs;  // swa-train run folders or folders of snapshots
  std::string output;      // one input: its report folder; several: one subfolder per input here
  ReportRequest settings;  // shared by every report; source and snapshots are set per input
  std::optional<double> fail_if_worse;  // the gate, in validation points
  // Called after each report is written (dir: its folder), and for each input of a batch that
  // failed with bad input (the batch goes on).
  std::function<void(const RunOutcome& run, const std::string& dir)> on_report;
  std::function<void(const RunOutcome& run)> on_error;
  // false: compute every report but write no file (the ranks other than 0 of a distributed run,
  // which share each report's passes).
  bool write_files = true;
  // How each input folder is expanded (lib/averaging/snapshot_inputs.h), and what it held that
  // was left out or skipped (for the tool to say).
  ExpandOptions expand;
  std::function<void(const ExpandedInputs& found)> on_expanded;
};

struct ReportBatch {
  bool several = false;          // more than one input: summary.json and summary.md written
  std::vector<RunOutcome> runs;  // in input order
  nlohmann::json summary;        // batch_summary() of the runs
};

// Writes every report (and, for several inputs, OUTPUT/summary.json and summary.md). A single
// input's InputError propagates; in a batch it is recorded in its RunOutcome and the summary.
ReportBatch run_report_batch(const ReportBatchRequest& request);

}  // namespace swa
