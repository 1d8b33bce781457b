// A JSON number as a Markdown table cell: printf-formatted, or an en dash when it is missing.
#pragma once
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace swa {

inline std::string markdown_cell(const nlohmann::json& v, const char* format = "%.2f") {
  if (!v.is_number()) return "–";
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v.get<double>());
  return buf;
}

}  // namespace swa
