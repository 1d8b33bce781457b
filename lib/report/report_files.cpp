#include "lib/report/report_files.h"

#include <filesystem>

#include "formats/atomic_output.h"
#include "formats/input_error.h"
#include "lib/report/report_charts.h"
#include "lib/report/report_markdown.h"

namespace swa {

std::vector<std::string> write_report_files(const nlohmann::json& report, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw InputError(dir, "cannot create the report folder: " + ec.message());
  std::vector<std::pair<std::string, std::string>> files = {{"report.json", report.dump(2) + "\n"},
                                                            {"report.md", report_markdown(report)}};
  for (auto& [name, svg] : report_charts(report)) files.emplace_back(name, std::move(svg));
  std::vector<std::string> written;
  for (auto& [name, text] : files) {
    name = (std::filesystem::path(dir) / name).string();
    written.push_back(name);
  }
  write_files_atomically(files);
  return written;
}

}  // namespace swa
