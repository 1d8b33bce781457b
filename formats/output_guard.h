// One rule for every file a command writes, checked before any work: an output never replaces a
// file the same command reads (compared by device and inode, so no spelling, symbolic link or hard
// link slips through), its folder exists and is writable (or, for folder outputs, can be
// created), and a trailing slash always names a folder.
//   guard.check_file("-o", out)        a file output: .pt/.h5/.safetensors, a BatchNorm output
//   guard.check_json("--json", target)  '-' (stdout), a new file, or a file that holds JSON
//   guard.check_folder("-o", dir, ...)  a folder output (a report, a run folder)
// Each check throws InputError naming the flag, the path and what is wrong.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "formats/file_identity.h"

namespace swa {

class OutputGuard {
 public:
  OutputGuard() = default;
  // Every file the command reads; a path that names nothing is left out (its reader says so).
  explicit OutputGuard(const std::vector<std::string>& inputs);
  void add_input(const std::string& path);

  // A file output: refused when it ends in '/', names a folder, lies in a folder that does not
  // exist or is not writable, or is (by device and inode) one of the inputs.
  void check_file(const std::string& flag, const std::string& path) const;
  // --json: '-' is stdout; a file must be new or already hold JSON (so a '-' forgotten before a
  // glob of snapshots is an error naming the snapshot, not a lost file), and is no input.
  void check_json(const std::string& flag, const std::string& target) const;
  // A folder output: an existing, writable folder, or one whose nearest existing parent is a
  // writable folder. `written` are the names the command writes there ("report.json"; "*.svg" for
  // every file of that extension; "snapshots/" for everything under that subfolder): none of
  // them may be an input.
  void check_folder(const std::string& flag, const std::string& dir,
                    const std::vector<std::string>& written) const;

 private:
  void refuse_input(const std::string& flag, const std::string& path) const;
  std::vector<std::pair<std::string, FileIdentity>> inputs_;
};

// True when an output path names a folder by the rule every tool shares: a trailing slash.
bool names_folder(const std::string& path);

// Creates `dir` (and the parents it lacks) now, and removes what it created on destruction unless
// keep() was called: a command refused or failed after the check leaves no empty folder behind.
// A folder that existed before is never removed.
class NewFolder {
 public:
  explicit NewFolder(const std::string& dir);
  ~NewFolder();
  NewFolder(const NewFolder&) = delete;
  NewFolder& operator=(const NewFolder&) = delete;
  void keep() { created_.clear(); }

 private:
  std::string created_;  // the outermost folder created; empty: nothing to remove
};

}  // namespace swa
