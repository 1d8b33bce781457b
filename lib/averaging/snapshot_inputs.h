// Turns command-line INPUTs into an ordered list of snapshot files, and selects from it.
// A file stays where it was given; a folder or a glob expands to its snapshot files in epoch
// order (then cycle, step, name).
#pragma once
#include <string>
#include <vector>

namespace swa {

// Throws InputError for a missing file, an empty folder or a glob that matches nothing.
std::vector<std::string> expand_snapshot_inputs(const std::vector<std::string>& args);

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
