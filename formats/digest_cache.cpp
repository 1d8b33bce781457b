#include "formats/digest_cache.h"

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

FileStamp stamp_of(const FileIdentity& f) {
  return {
      std::to_string(f.device) + "-" + std::to_string(f.inode),
      std::to_string(f.size) + " " + std::to_string(f.mtime_ns) + " " + std::to_string(f.ctime_ns)};
}

}  // namespace

DigestCache DigestCache::from_environment() {
  const char* off = std::getenv("SWA_DIGEST_CACHE");
  if (off && std::string(off) == "0") return DigestCache("");
  const std::string folder = cache_folder();
  return DigestCache(folder.empty() ? "" : folder + "/sha256");
}

std::optional<std::string> DigestCache::find(const std::string& path) const {
  const auto now = identity_of(path);
  if (!now) return std::nullopt;
  return find(*now);
}

void DigestCache::store(const std::string& path, const std::string& sha256) const {
  if (const auto now = identity_of(path)) store(*now, sha256);
}

std::optional<std::string> DigestCache::find(const FileIdentity& file) const {
  if (!enabled()) return std::nullopt;
  const FileStamp stamp = stamp_of(file);
  std::ifstream in(folder_ + "/" + stamp.key);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  // "SIZE MTIME_NS CTIME_NS SHA256"
  const auto last = line.find_last_of(' ');
  if (last == std::string::npos || line.substr(0, last) != stamp.stamp) return std::nullopt;
  std::string digest = line.substr(last + 1);
  if (digest.size() != 64) return std::nullopt;
  return digest;
}

void DigestCache::store(const FileIdentity& file, const std::string& sha256) const {
  if (!enabled()) return;
  const FileStamp stamp = stamp_of(file);
  try {
    std::error_code ec;
    std::filesystem::create_directories(folder_, ec);
    write_file_atomically(folder_ + "/" + stamp.key, stamp.stamp + " " + sha256 + "\n");
  } catch (const std::exception&) {
    // A read-only or full cache folder costs the next run a re-hash, nothing else.
  }
}

}  // namespace swa
