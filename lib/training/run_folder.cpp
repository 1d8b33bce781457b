#include "lib/training/run_folder.h"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <vector>

#include "formats/atomic_output.h"
#include "formats/input_error.h"

namespace fs = std::filesystem;

namespace swa {

namespace {

constexpr const char* kRunFiles[] = {"config.json", "log.jsonl", "last.h5", "best.h5"};

std::string in_folder(const std::string& dir, const std::string& name) {
  return (fs::path(dir) / name).string();
}

int64_t snapshot_files(const fs::path& folder) {
  std::error_code ec;
  int64_t count = 0;
  for (const auto& e : fs::directory_iterator(folder, ec)) {
    if (e.path().extension() == ".h5") ++count;
  }
  return count;
}

void remove_stale_temporaries(const RunFiles& files) {
  for (const auto& folder : {fs::path(files.dir), fs::path(files.snapshots())}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(folder, ec)) {
      const std::string name = e.path().filename().string();
      if (name.size() > 1 && name[0] == '.' && name.find(".tmp-") != std::string::npos)
        fs::remove(e.path(), ec);
    }
  }
}

void keep_log_lines(const std::string& path, int64_t lines) {
  std::ifstream in(path);
  std::string kept, line;
  for (int64_t i = 0; i < lines && std::getline(in, line); ++i) kept += line + "\n";
  in.close();
  write_file_atomically(path, kept);
}

}  // namespace

std::string RunFiles::config() const { return in_folder(dir, kRunFiles[0]); }
std::string RunFiles::log() const { return in_folder(dir, kRunFiles[1]); }
std::string RunFiles::last() const { return in_folder(dir, kRunFiles[2]); }
std::string RunFiles::best() const { return in_folder(dir, kRunFiles[3]); }
std::string RunFiles::snapshots() const { return in_folder(dir, "snapshots"); }
std::string RunFiles::cycle_snapshot(int64_t cycle) const {
  char name[32];
  std::snprintf(name, sizeof(name), "cycle-%04lld.h5", static_cast<long long>(cycle));
  return in_folder(snapshots(), name);
}

void claim_run_folder(const std::string& run_dir, bool overwrite) {
  const fs::path dir(run_dir);
  std::string found;
  for (const char* name : kRunFiles) {
    if (fs::exists(dir / name)) found += (found.empty() ? "" : ", ") + std::string(name);
  }
  const fs::path snapshot_folder = RunFiles{run_dir}.snapshots();
  const int64_t snapshots = snapshot_files(snapshot_folder);
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
  for (const auto& e : fs::directory_iterator(snapshot_folder)) {
    if (e.path().extension() == ".h5") fs::remove(e.path());
  }
}

void prepare_run_folder(const RunFiles& files, bool resume, int64_t epochs_done,
                        const std::string& config_json) {
  fs::create_directories(files.snapshots());
  if (!resume) {
    write_file_atomically(files.config(), config_json);
    std::remove(files.log().c_str());
  } else {
    keep_log_lines(files.log(), epochs_done);
    remove_stale_temporaries(files);
  }
}

void append_log_line(const RunFiles& files, const nlohmann::json& line) {
  std::ofstream f(files.log(), std::ios::app);
  f << line.dump() << "\n";
  if (!f) throw InputError(files.log(), "cannot append to the training log");
}

std::vector<std::string> run_folder_outputs() {
  std::vector<std::string> names(std::begin(kRunFiles), std::end(kRunFiles));
  names.push_back("snapshots/");
  return names;
}

}  // namespace swa
