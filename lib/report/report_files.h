// A report folder: report.json, report.md and the SVG charts, each written atomically.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace swa {

// Creates `dir` if needed. Returns the paths written.
std::vector<std::string> write_report_files(const nlohmann::json& report, const std::string& dir);

}  // namespace swa
