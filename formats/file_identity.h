// Which file a path names and whether its bytes may have changed: device and inode (the file
// itself, whatever the spelling, link or hard link that reaches it), size, modification and
// status-change times in nanoseconds. Any write, truncation or rename over the path changes one
// of them; ctime cannot be set back by a writer.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace swa {

struct FileIdentity {
  uint64_t device = 0, inode = 0;
  int64_t size = 0, mtime_ns = 0, ctime_ns = 0;

  bool same_file(const FileIdentity& o) const { return device == o.device && inode == o.inode; }
  bool operator==(const FileIdentity& o) const {
    return same_file(o) && size == o.size && mtime_ns == o.mtime_ns && ctime_ns == o.ctime_ns;
  }
  bool operator!=(const FileIdentity& o) const { return !(*this == o); }
};

// stat(2), following links; nullopt when the path names nothing.
std::optional<FileIdentity> identity_of(const std::string& path);

// Throws InputError "PATH: changed while it was being read (...)" unless `path` still names the
// file `opened` describes, unchanged.
void require_unchanged(const std::string& path, const FileIdentity& opened);

// Throws InputError "B: names the same file as A: <advice>" when two of `paths` reach one file
// (by device and inode: "./a.h5", a link to it, a hard link), or "P: no such file".
void require_distinct_files(const std::vector<std::string>& paths, const std::string& advice);

}  // namespace swa
