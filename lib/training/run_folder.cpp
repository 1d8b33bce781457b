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

NewRunFolder::NewRunFolder(const std::string& run_dir) {
  if (fs::exists(run_dir)) return;
  // The outermost folder this creates (--out a/b/run with only a/ there: a/b).
  fs::path outermost = fs::absolute(run_dir).lexically_normal();
  if (!outermost.has_filename()) outermost = outermost.parent_path();  // "run/"
  while (outermost.has_parent_path() && outermost.parent_path() != outermost &&
         !fs::exists(outermost.parent_path())) {
    outermost = outermost.parent_path();
  }
  fs::create_directories(run_dir);
  created_ = outermost.string();
}

NewRunFolder::~NewRunFolder() {
  if (created_.empty()) return;
  std::error_code ec;
  fs::remove_all(created_, ec);
}

}  // namespace swa
