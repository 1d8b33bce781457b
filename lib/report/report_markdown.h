// report.md: the report for people, tables in the order a reader asks the questions (what to
// do, why, the evidence), with the charts of report_charts.h linked by file name.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace swa {

std::string report_markdown(const nlohmann::json& report);

}  // namespace swa
