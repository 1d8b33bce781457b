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

#include "formats/file_identity.h"

namespace swa {

class DigestCache {
 public:
  // The folder from the environment; disabled when SWA_DIGEST_CACHE=0 or no folder is known.
  static DigestCache from_environment();
  explicit DigestCache(std::string folder) : folder_(std::move(folder)) {}

  bool enabled() const { return !folder_.empty(); }
  // The recorded digest of the file in state `file` (formats/file_identity.h), if one is.
  std::optional<std::string> find(const FileIdentity& file) const;
  std::optional<std::string> find(const std::string& path) const;  // the file as it is now
  // Records `sha256` as the digest of the file in state `file`.
  void store(const FileIdentity& file, const std::string& sha256) const;
  void store(const std::string& path, const std::string& sha256) const;  // as it is now

 private:
  std::string folder_;
};

}  // namespace swa
