// A zip archive's directory, read with minizip (zlib's contrib, Debian's libminizip): where each
// entry's bytes lie in the file, so that stored (uncompressed) entries, as torch.save writes
// them, are read in place with pread and checked against their CRC-32 by the caller.
// Requires: a zip archive, zip64 included. Ensures: every listed stored entry lies inside the
// file; InputError naming the file for a file that is not a zip or whose directory is damaged.
// The archive stays open for read() until the object goes; it is not for concurrent use.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace swa {

struct ZipEntry {
  std::string name;
  uint64_t data_offset = 0;  // of the entry's (possibly compressed) bytes in the file
  uint64_t size = 0;         // uncompressed
  uint64_t compressed_size = 0;
  uint32_t crc32 = 0;
  bool stored = true;  // not compressed: the bytes at data_offset are the entry itself
};

class ZipArchive {
 public:
  explicit ZipArchive(const std::string& path);
  const std::vector<ZipEntry>& entries() const { return entries_; }
  // nullptr when there is no such entry.
  const ZipEntry* find(const std::string& name) const;
  // The whole entry, decompressed and checked against its CRC-32; at most `limit` bytes.
  std::string read(const ZipEntry& entry, uint64_t limit) const;

 private:
  struct DirectoryPosition {  // minizip's unz64_file_pos: where read() finds an entry at once
    uint64_t offset = 0, index = 0;
  };
  std::string path_;
  std::shared_ptr<void> unzip_;  // the open unzFile
  std::vector<ZipEntry> entries_;
  std::vector<DirectoryPosition> positions_;  // one per entry
};

}  // namespace swa
