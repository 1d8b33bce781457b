#include "formats/zip_archive.h"

#include <minizip/unzip.h>

#include <filesystem>
#include <memory>

#include "formats/input_error.h"

namespace swa {
namespace {

std::shared_ptr<void> open_unzip(const std::string& path) {
  std::shared_ptr<void> z(unzOpen64(path.c_str()), [](void* handle) {
    if (handle) unzClose(handle);
  });
  if (!z)
    throw InputError(path,
                     "not a readable zip archive (truncated, or no zip directory at its end)");
  return z;
}

std::string current_name(unzFile z, const std::string& path) {
  unz_file_info64 info;
  if (unzGetCurrentFileInfo64(z, &info, nullptr, 0, nullptr, 0, nullptr, 0) != UNZ_OK) {
    throw InputError(path, "damaged zip directory");
  }
  std::string name(info.size_filename, '\0');
  if (unzGetCurrentFileInfo64(z, &info, name.data(), static_cast<uLong>(name.size()), nullptr, 0,
                              nullptr, 0) != UNZ_OK) {
    throw InputError(path, "damaged zip directory");
  }
  return name;
}

}  // namespace

ZipArchive::ZipArchive(const std::string& path) : path_(path) {
  std::error_code ec;
  const uint64_t file_size = std::filesystem::file_size(path, ec);
  if (ec) throw InputError(path, "cannot open: " + ec.message());
  unzip_ = open_unzip(path);
  unzFile z = unzip_.get();
  int rc = unzGoToFirstFile(z);
  for (; rc == UNZ_OK; rc = unzGoToNextFile(z)) {
    ZipEntry e;
    unz64_file_pos at;
    unzGetFilePos64(z, &at);
    e.name = current_name(z, path);
    unz_file_info64 info;
    unzGetCurrentFileInfo64(z, &info, nullptr, 0, nullptr, 0, nullptr, 0);
    e.size = info.uncompressed_size;
    e.compressed_size = info.compressed_size;
    e.crc32 = static_cast<uint32_t>(info.crc);
    e.stored = info.compression_method == 0;
    if (info.compression_method != 0 && info.compression_method != Z_DEFLATED) {
      throw InputError(path, "zip entry " + e.name + " uses compression method " +
                                 std::to_string(info.compression_method) +
                                 " (only stored and deflate are read)");
    }
    if (e.stored && e.size != e.compressed_size)
      throw InputError(path, "zip entry " + e.name + " has inconsistent sizes");
    if (unzOpenCurrentFile(z) != UNZ_OK) {
      throw InputError(
          path, "zip entry " + e.name + " has a damaged local header (corrupt or truncated file?)");
    }
    e.data_offset = unzGetCurrentFileZStreamPos64(z);
    unzCloseCurrentFile(z);
    if (e.data_offset > file_size || e.compressed_size > file_size - e.data_offset) {
      throw InputError(path, "zip entry " + e.name + " runs past the end of the file (truncated?)");
    }
    entries_.push_back(std::move(e));
    positions_.push_back({at.pos_in_zip_directory, at.num_of_file});
  }
  if (rc != UNZ_END_OF_LIST_OF_FILE) throw InputError(path, "damaged zip directory");
}

const ZipEntry* ZipArchive::find(const std::string& name) const {
  for (const auto& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::string ZipArchive::read(const ZipEntry& entry, uint64_t limit) const {
  if (entry.size > limit) {
    throw InputError(path_, "zip entry " + entry.name + " holds " + std::to_string(entry.size) +
                                " bytes, more than the " + std::to_string(limit) +
                                " this reader takes");
  }
  unzFile z = unzip_.get();
  const DirectoryPosition& p = positions_.at(static_cast<size_t>(&entry - entries_.data()));
  unz64_file_pos at{p.offset, p.index};
  if (unzGoToFilePos64(z, &at) != UNZ_OK || unzOpenCurrentFile(z) != UNZ_OK) {
    throw InputError(path_, "cannot open zip entry " + entry.name);
  }
  std::string out(entry.size, '\0');
  uint64_t done = 0;
  while (done < out.size()) {
    const unsigned chunk = static_cast<unsigned>(std::min<uint64_t>(out.size() - done, 1u << 30));
    const int n = unzReadCurrentFile(z, out.data() + done, chunk);
    if (n <= 0)
      throw InputError(
          path_, "zip entry " + entry.name + " cannot be read whole (corrupt or truncated file?)");
    done += static_cast<uint64_t>(n);
  }
  char probe;
  if (unzReadCurrentFile(z, &probe, 1) != 0 || unzCloseCurrentFile(z) == UNZ_CRCERROR) {
    throw InputError(
        path_, "zip entry " + entry.name + " fails its CRC-32 check: the stored bytes are corrupt");
  }
  return out;
}

}  // namespace swa
