#include "lib/report/batch_summary.h"

#include <cstdio>
#include <sstream>

#include "lib/report/markdown_cell.h"

#include "lib/report/report_schema.h"

namespace swa {
namespace {

using json = nlohmann::json;

std::string num(const json& v, const char* format = "%.2f") { return markdown_cell(v, format); }

}  // namespace

json batch_summary(const std::vector<RunOutcome>& runs, std::optional<double> fail_if_worse) {
  json rows = json::array(), failed = json::array(), errors = json::array();
  for (const auto& run : runs) {
    json row = {{"source", run.source}, {"report_dir", run.report_dir}};
    if (!run.error.empty()) {
      row["status"] = "error";
      row["error"] = run.error;
      errors.push_back(run.source);
      rows.push_back(row);
      continue;
    }
    const auto& r = run.report;
    const double shortfall = swa_shortfall_points(r);
    const bool worse = fail_if_worse && shortfall > *fail_if_worse;
    row["status"] = worse ? "worse" : "ok";
    row["snapshots"] = r["snapshots"].size();
    row["recommended"] = r["recommendation"]["name"];
    row["recommended_members"] = r["recommendation"]["members"];
    row["recommended_val_top1"] = r["recommendation"]["validation"]["top1"];
    row["recommended_test_top1"] =
        r["recommendation"]["test"].is_object() ? r["recommendation"]["test"]["top1"] : json();
    row["swa_val_top1"] = r["uniform_average"]["validation"]["top1"];
    row["best_single"] = r["best_single"]["name"];
    row["best_single_val_top1"] = r["best_single"]["validation"]["top1"];
    row["shortfall_points"] = shortfall;
    row["soup_size"] = r["greedy_soup"]["members"].size();
    row["soup_val_top1"] = r["greedy_soup"]["validation"]["top1"];
    row["compute_seconds"] = r["compute"]["total_seconds"];
    if (worse) failed.push_back(run.source);
    rows.push_back(row);
  }
  return {{"schema_version", kReportSchemaVersion},
          {"runs", rows},
          {"fail_if_worse", fail_if_worse ? json(*fail_if_worse) : json()},
          {"failed_gate", failed},
          {"errors", errors}};
}

std::string batch_summary_markdown(const json& s) {
  std::ostringstream md;
  md << "# SWA reports: summary of " << s["runs"].size() << " run folders\n\n";
  if (s["fail_if_worse"].is_number()) {
    md << "Gate: SWA (uniform average) may trail the best single snapshot by at most "
       << num(s["fail_if_worse"]) << " validation points.\n\n";
  }
  md << "| run | status | snapshots | SWA val top-1 % | best single | its val top-1 % | SWA "
        "shortfall | soup "
        "(size, val top-1 %) | recommended | rec. test top-1 % | report "
        "|\n|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : s["runs"]) {
    if (r["status"] == "error") {
      md << "| " << r["source"].get<std::string>() << " | **error** | "
         << r["error"].get<std::string>() << " |  |  |  |  |  |  |  |  |\n";
      continue;
    }
    md << "| " << r["source"].get<std::string>() << " | "
       << (r["status"] == "worse" ? "**worse**" : "ok") << " | " << r["snapshots"] << " | "
       << num(r["swa_val_top1"]) << " | " << r["best_single"].get<std::string>() << " | "
       << num(r["best_single_val_top1"]) << " | " << num(r["shortfall_points"], "%+.2f") << " | "
       << r["soup_size"] << ", " << num(r["soup_val_top1"]) << " | "
       << r["recommended"].get<std::string>() << " | " << num(r["recommended_test_top1"])
       << " | [report](" << r["report_dir"].get<std::string>() << "/report.md) |\n";
  }
  return md.str();
}

}  // namespace swa
