// The report's figures, drawn from report.json: per-snapshot validation accuracy with the SWA
// and soup lines, leave-one-out bars, the disagreement heat map, the output-covariance spectrum.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace swa {

// File name ("accuracy.svg", ...) -> SVG text.
std::map<std::string, std::string> report_charts(const nlohmann::json& report);

}  // namespace swa
