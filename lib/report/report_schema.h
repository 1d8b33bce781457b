// What every report.json and summary.json shares: the schema version (bumped on any change that
// renames, removes or retypes a field; documented in lib/report/REPORT.md) and the gate's figure.
#pragma once
#include <nlohmann/json.hpp>

namespace swa {

constexpr int kReportSchemaVersion = 1;

// The --fail-if-worse figure: how many validation points the uniform average (SWA) trails the
// best single snapshot by (negative: SWA is better).
inline double swa_shortfall_points(const nlohmann::json& report) {
  return report.at("best_single").at("validation").at("top1").get<double>() -
         report.at("uniform_average").at("validation").at("top1").get<double>();
}

}  // namespace swa
