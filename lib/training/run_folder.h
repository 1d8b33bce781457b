// The folder a fresh swa-train run writes (config.json, log.jsonl, last.h5, best.h5, snapshots/):
// claimed before anything is written, so an earlier run in it is never overwritten by accident
// (formats/output_guard.h's NewFolder removes it again when the run is refused before it wrote
// anything).
#pragma once
#include <string>
#include <vector>

namespace swa {

// A fresh run into `run_dir` (which exists): refused with InputError when the folder holds another
// run's files (its snapshots would be replaced one by one, its log lost) unless `overwrite`, which
// removes those files first. Files swa-train does not write are left alone either way.
void claim_run_folder(const std::string& run_dir, bool overwrite);

// What a run writes in its folder, in formats/output_guard.h's terms ("snapshots/": all of it).
std::vector<std::string> run_folder_outputs();

}  // namespace swa
