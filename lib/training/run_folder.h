// The folder a fresh swa-train run writes (config.json, log.jsonl, last.h5, best.h5, snapshots/):
// claimed before anything is written, so an earlier run in it is never overwritten by accident,
// and removed again when the run is refused before it wrote anything.
#pragma once
#include <string>

namespace swa {

// A fresh run into `run_dir` (which exists): refused with InputError when the folder holds another
// run's files (its snapshots would be replaced one by one, its log lost) unless `overwrite`, which
// removes those files first. Files swa-train does not write are left alone either way.
void claim_run_folder(const std::string& run_dir, bool overwrite);

// Creates `run_dir` when it is missing, and removes it again on destruction unless keep() was
// called: a run refused for a bad flag or bad data leaves no empty folder (nor its .lock) behind,
// nor the parents it created for it. A folder that existed before is never removed.
class NewRunFolder {
 public:
  explicit NewRunFolder(const std::string& run_dir);
  ~NewRunFolder();
  NewRunFolder(const NewRunFolder&) = delete;
  NewRunFolder& operator=(const NewRunFolder&) = delete;
  void keep() { created_.clear(); }

 private:
  std::string created_;  // empty: nothing to remove
};

}  // namespace swa
