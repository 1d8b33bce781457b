// Counts as a person writes them: "1 snapshot", "4 snapshots".
#pragma once
#include <cstdint>
#include <string>

namespace swa {

inline std::string count_of(int64_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}
inline std::string count_of(size_t n, const std::string& noun) {
  return count_of(static_cast<int64_t>(n), noun);
}

}  // namespace swa
