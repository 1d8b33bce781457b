// Turns command-line INPUTs into an ordered list of snapshot files, and selects from it.
// A file stays where it was given; a folder or a glob expands to its snapshot files in epoch
// order (then cycle, step, name). In a folder or a glob, a file with a snapshot's extension that
// is no readable snapshot (a dangling link, e.g. a DVC or git-annex file not fetched; an
// unreadable file; other bytes) is an error naming it, or skipped with a warning when asked; files
// this toolkit wrote as averages or BatchNorm outputs (their metadata says so) are left out unless
// named, and listed.
#pragma once
#include <string>
#include <vector>

namespace swa {

struct ExpandOptions {
  bool skip_bad_files = false;  // --skip-bad-files: skip what is no snapshot, with a warning
  bool keep_derived = false;    // take averages and BatchNorm outputs found in folders too
  bool read_metadata = true;    // false: expand by name only, no file read (swa-inspect)
  std::string state_dict_key;   // --key: PyTorch files' state dict (formats/tensor_file.h)
};

struct ExpandedInputs {
  std::vector<std::string> paths;
  std::vector<std::string> left_out;  // averages and BatchNorm outputs found, not taken
  std::vector<std::string> skipped;   // "PATH: why", with skip_bad_files
};

// Throws InputError for a missing file, an empty folder, a glob that matches nothing, or a bad
// file in a folder or glob (unless skip_bad_files).
ExpandedInputs expand_snapshot_inputs(const std::vector<std::string>& args,
                                      const ExpandOptions& options = {});

// "left out 2 files this toolkit wrote (averages or BatchNorm outputs; name them to take them):
// a.pt, b.pt", or "" when none was.
std::string describe_left_out(const ExpandedInputs& expanded);

struct SelectionOptions {
  int last = 0;         // keep only the last K (0: all)
  int every = 1;        // keep the 1st, (K+1)th, (2K+1)th, ...
  int from_epoch = -1;  // keep snapshots with epoch >= E (-1: no filter)
};

// Applies --from-epoch, then --every, then --last. `epochs` parallels `paths` (-1: unknown).
// Throws InputError when the result is empty or an epoch filter meets an unknown epoch.
std::vector<size_t> select_snapshots(const std::vector<std::string>& paths,
                                     const std::vector<int64_t>& epochs,
                                     const SelectionOptions& options);

}  // namespace swa
