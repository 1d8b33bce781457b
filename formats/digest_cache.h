// Remembers the SHA-256 of files that have not changed since they were hashed, as git's index
// and DVC's state database do: an entry is keyed by the file's device and inode and is used only
// while its size, modification time and status-change time (nanoseconds) are those recorded.
// Any write, truncation, rename over it or chmod changes ctime, so the entry is ignored.
// Entries live in $SWA_CACHE_DIR/sha256 (default: ${XDG_CACHE_HOME:-~/.cache}/swa/sha256), one
// small file each; SWA_DIGEST_CACHE=0 turns the cache off. A cache that cannot be read or
// written is skipped silently: it only ever saves time.
#pragma once
#include <optional>
#include <string>

namespace swa {

class DigestCache {
 public:
  // The folder from the environment; disabled when SWA_DIGEST_CACHE=0 or no folder is known.
  static DigestCache from_environment();
  explicit DigestCache(std::string folder) : folder_(std::move(folder)) {}

  bool enabled() const { return !folder_.empty(); }
  // The recorded digest of `path` if the file is unchanged since it was recorded.
  std::optional<std::string> find(const std::string& path) const;
  // Records `sha256` as the digest of `path` as it is now.
  void store(const std::string& path, const std::string& sha256) const;

 private:
  std::string folder_;
};

}  // namespace swa
