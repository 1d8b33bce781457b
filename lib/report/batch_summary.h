// CI batch mode: one line per run folder over several reports, and the --fail-if-worse gate.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace swa {

struct RunOutcome {
  std::string source;      // the folder given
  std::string report_dir;  // where its report went (empty when it failed)
  nlohmann::json report;   // null when it failed
  std::string error;       // why it failed (bad input), else empty
};

// {"schema_version", "runs": [{source, report_dir, status: ok|worse|error, recommended,
// swa_val_top1,
//  best_single, best_single_val_top1, shortfall_points, soup_size, soup_val_top1, test_top1
//  (recommended), error}], "fail_if_worse": TOL or null, "failed_gate": [...], "errors": [...]}
nlohmann::json batch_summary(const std::vector<RunOutcome>& runs,
                             std::optional<double> fail_if_worse);

std::string batch_summary_markdown(const nlohmann::json& summary);

}  // namespace swa
