#include "lib/training/run_folder.h"

#include <cstdint>
#include <filesystem>
#include <system_error>
#include <vector>

#include "formats/input_error.h"

namespace fs = std::filesystem;

namespace swa {

namespace {

constexpr const char* kRunFiles[] = {"config.json", "log.jsonl", "last.h5", "best.h5"};

int64_t snapshot_files(const fs::path& folder) {
  std::error_code ec;
  int64_t count = 0;
  for (const auto& e : fs::directory_iterator(folder, ec)) {
    if (e.path().extension() == ".h5") ++count;
  }
  return count;
}

}  // namespace

void claim_run_folder(const std::string& run_dir, bool overwrite) {
  const fs::path dir(run_dir);
  std::string found;
  for (const char* name : kRunFiles) {
    if (fs::exists(dir / name)) found += (found.empty() ? "" : ", ") + std::string(name);
  }
  const int64_t snapshots = snapshot_files(dir / "snapshots");
  if (snapshots > 0) {
    found += (found.empty() ? "" : ", ") + std::to_string(snapshots) + " snapshot" +
             (snapshots == 1 ? "" : "s");
  }
  if (found.empty()) return;
  if (!overwrite) {
    throw InputError(run_dir, "already holds a training run (" + found +
                                  "): continue it with swa-train --resume " + run_dir +
                                  ", start it again with --overwrite, or choose another --out");
  }
  for (const char* name : kRunFiles) fs::remove(dir / name);
  if (snapshots == 0) return;
  for (const auto& e : fs::directory_iterator(dir / "snapshots")) {
    if (e.path().extension() == ".h5") fs::remove(e.path());
  }
}

std::vector<std::string> run_folder_outputs() {
  std::vector<std::string> names(std::begin(kRunFiles), std::end(kRunFiles));
  names.push_back("snapshots/");
  return names;
}

}  // namespace swa
