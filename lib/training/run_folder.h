// The folder a swa-train run writes, and everything done to it as a folder: its files' names
// (RunFiles, the one place they are spelled), claiming it for a fresh run (an earlier run in it is
// never overwritten by accident; formats/output_guard.h's NewFolder removes it again when the run
// is refused before it wrote anything), preparing it for a fresh or resumed run, and the log.
// Torch-free.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace swa {

// RUN_DIR/config.json, log.jsonl, last.h5, best.h5 and snapshots/cycle-NNNN.h5.
struct RunFiles {
  std::string dir;
  std::string config() const;
  std::string log() const;
  std::string last() const;
  std::string best() const;
  std::string snapshots() const;
  std::string cycle_snapshot(int64_t cycle) const;  // snapshots/cycle-0003.h5 for cycle 3
};

// A fresh run into `run_dir` (which exists): refused with InputError when the folder holds another
// run's files (its snapshots would be replaced one by one, its log lost) unless `overwrite`, which
// removes those files first. Files swa-train does not write are left alone either way.
void claim_run_folder(const std::string& run_dir, bool overwrite);

// What a run writes in its folder, in formats/output_guard.h's terms ("snapshots/": all of it).
std::vector<std::string> run_folder_outputs();

// A fresh run writes its configuration (`config_json`) and starts its log; a resumed one keeps
// the log lines of the `epochs_done` epochs last.h5 holds (dropping an epoch a crash interrupted)
// and removes the hidden temporaries a killed write left (".NAME.tmp-XXXXXX", never a half file
// under the real name).
void prepare_run_folder(const RunFiles& files, bool resume, int64_t epochs_done,
                        const std::string& config_json);

// One line of log.jsonl, appended; InputError when it cannot be.
void append_log_line(const RunFiles& files, const nlohmann::json& line);

}  // namespace swa
