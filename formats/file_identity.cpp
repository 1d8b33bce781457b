#include "formats/file_identity.h"

#include <sys/stat.h>

#include "formats/input_error.h"

namespace swa {
namespace {

int64_t nanoseconds(const timespec& t) { return int64_t{t.tv_sec} * 1000000000 + t.tv_nsec; }

FileIdentity from_stat(const struct stat& st) {
  return {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
          static_cast<int64_t>(st.st_size), nanoseconds(st.st_mtim), nanoseconds(st.st_ctim)};
}

}  // namespace

std::optional<FileIdentity> identity_of(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return from_stat(st);
}

void require_unchanged(const std::string& path, const FileIdentity& opened) {
  const auto now = identity_of(path);
  std::string what;
  if (!now) {
    what = "it is gone";
  } else if (!now->same_file(opened)) {
    what = "another file was put in its place";
  } else if (now->size != opened.size) {
    what = "its size went from " + std::to_string(opened.size) + " to " +
           std::to_string(now->size) + " bytes";
  } else if (*now != opened) {
    what = "it was written to";
  } else {
    return;
  }
  throw InputError(path, "changed while it was being read (" + what +
                             "); nothing was written: run again once it is complete");
}

void require_distinct_files(const std::vector<std::string>& paths, const std::string& advice) {
  std::vector<std::pair<const std::string*, FileIdentity>> seen;
  for (const auto& p : paths) {
    const auto id = identity_of(p);
    if (!id) throw InputError(p, "no such file");
    for (const auto& [earlier, earlier_id] : seen) {
      if (id->same_file(earlier_id))
        throw InputError(p, "names the same file as " + *earlier + ": " + advice);
    }
    seen.emplace_back(&p, *id);
  }
}

}  // namespace swa
