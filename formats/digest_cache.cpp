#include "formats/digest_cache.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "formats/atomic_output.h"
#include "formats/cache_folder.h"

namespace swa {
namespace {

struct FileStamp {
  std::string key;    // "DEV-INODE"
  std::string stamp;  // "SIZE MTIME_NS CTIME_NS"
};

std::optional<FileStamp> stamp_of(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  auto ns = [](const timespec& t) {
    return std::to_string(int64_t{t.tv_sec} * 1000000000 + t.tv_nsec);
  };
  return FileStamp{std::to_string(st.st_dev) + "-" + std::to_string(st.st_ino),
                   std::to_string(st.st_size) + " " + ns(st.st_mtim) + " " + ns(st.st_ctim)};
}

}  // namespace

DigestCache DigestCache::from_environment() {
  const char* off = std::getenv("SWA_DIGEST_CACHE");
  if (off && std::string(off) == "0") return DigestCache("");
  const std::string folder = cache_folder();
  return DigestCache(folder.empty() ? "" : folder + "/sha256");
}

std::optional<std::string> DigestCache::find(const std::string& path) const {
  if (!enabled()) return std::nullopt;
  const auto now = stamp_of(path);
  if (!now) return std::nullopt;
  std::ifstream in(folder_ + "/" + now->key);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  // "SIZE MTIME_NS CTIME_NS SHA256"
  const auto last = line.find_last_of(' ');
  if (last == std::string::npos || line.substr(0, last) != now->stamp) return std::nullopt;
  std::string digest = line.substr(last + 1);
  if (digest.size() != 64) return std::nullopt;
  return digest;
}

void DigestCache::store(const std::string& path, const std::string& sha256) const {
  if (!enabled()) return;
  const auto now = stamp_of(path);
  if (!now) return;
  try {
    std::error_code ec;
    std::filesystem::create_directories(folder_, ec);
    write_file_atomically(folder_ + "/" + now->key, now->stamp + " " + sha256 + "\n");
  } catch (const std::exception&) {
    // A read-only or full cache folder costs the next run a re-hash, nothing else.
  }
}

}  // namespace swa
