// What a reader took from a file as the state dict and what it left (swa-inspect prints it).
#pragma once
#include <string>
#include <vector>

namespace swa {

struct StateDictOrigin {
  std::string object;                          // "root" or the path taken, e.g. "state_dict"
  std::vector<std::string> stripped_prefixes;  // in the order they were stripped
  std::vector<std::string> dropped;            // entries of the state dict left out (n_averaged)
  std::vector<std::string> skipped;            // the rest of the checkpoint: "optimizer (dict)"
};

}  // namespace swa
