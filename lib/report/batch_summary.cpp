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
    row["snapshots"] = r.at("snapshots").size();
    row["recommended"] = r.at("recommendation").at("name");
    row["recommended_members"] = r.at("recommendation").at("members");
    row["recommended_val_top1"] = r.at("recommendation").at("validation").at("top1");
    row["recommended_test_top1"] = r.at("recommendation").at("test").is_object()
                                       ? r.at("recommendation").at("test").at("top1")
                                       : json();
    row["swa_val_top1"] = r.at("uniform_average").at("validation").at("top1");
    row["best_single"] = r.at("best_single").at("name");
    row["best_single_val_top1"] = r.at("best_single").at("validation").at("top1");
    row["shortfall_points"] = shortfall;
    row["soup_size"] = r.at("greedy_soup").at("members").size();
    row["soup_val_top1"] = r.at("greedy_soup").at("validation").at("top1");
    row["compute_seconds"] = r.at("compute").at("total_seconds");
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
  md << "# SWA reports: summary of " << s.at("runs").size() << " run folders\n\n";
  if (s.at("fail_if_worse").is_number()) {
    md << "Gate: SWA (uniform average) may trail the best single snapshot by at most "
       << num(s.at("fail_if_worse")) << " validation points.\n\n";
  }
  md << "| run | status | snapshots | SWA val top-1 % | best single | its val top-1 % | SWA "
        "shortfall | soup "
        "(size, val top-1 %) | recommended | rec. test top-1 % | report "
        "|\n|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : s.at("runs")) {
    if (r.at("status") == "error") {
      md << "| " << r.at("source").get<std::string>() << " | **error** | "
         << r.at("error").get<std::string>() << " |  |  |  |  |  |  |  |  |\n";
      continue;
    }
    md << "| " << r.at("source").get<std::string>() << " | "
       << (r.at("status") == "worse" ? "**worse**" : "ok") << " | " << r.at("snapshots") << " | "
       << num(r.at("swa_val_top1")) << " | " << r.at("best_single").get<std::string>() << " | "
       << num(r.at("best_single_val_top1")) << " | " << num(r.at("shortfall_points"), "%+.2f")
       << " | " << r.at("soup_size") << ", " << num(r.at("soup_val_top1")) << " | "
       << r.at("recommended").get<std::string>() << " | " << num(r.at("recommended_test_top1"))
       << " | [report](" << r.at("report_dir").get<std::string>() << "/report.md) |\n";
  }
  return md.str();
}

}  // namespace swa
