// report.json: a Report in the schema documented in lib/report/REPORT.md (versioned by
// "schema_version"). The one place that schema is written.
#pragma once
#include <nlohmann/json.hpp>

#include "lib/report/report.h"

namespace swa {

nlohmann::json report_to_json(const Report& report);

}  // namespace swa
