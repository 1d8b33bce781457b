// minizip writes through our own file functions: they write with pwrite on one descriptor, keep
// the position (so the padding that aligns each entry's data can be computed before its local
// header is written) and keep errno for the message. minizip seeks back to fill in each local
// header's CRC and sizes, so no data descriptors are written.
#include "formats/zip_writer.h"

#include <fcntl.h>
#include <minizip/zip.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "formats/input_error.h"

namespace swa {

struct ZipSink {
  int fd = -1;
  uint64_t pos = 0, end = 0;
  int error = 0;
};

namespace {

constexpr uint64_t kLocalHeaderBytes = 30;
constexpr uint64_t kZip64LocalExtraBytes = 20;  // minizip's zip64 extra field in the local header
constexpr uint64_t kPaddingHeaderBytes = 4;     // id + size of the padding extra field
constexpr uint16_t kPaddingFieldId = 0x4246;    // "FB", PyTorch's padding field
constexpr uint64_t kZip64Threshold = 0xFFFFFFFFull - (1u << 20);
constexpr uLong kDosDate1980 = (1u << 5 | 1u) << 16;  // 1980-01-01 00:00, the zip epoch

voidpf sink_open(voidpf opaque, const void*, int) { return opaque; }
uLong sink_read(voidpf, voidpf, void*, uLong) { return 0; }
uLong sink_write(voidpf, voidpf stream, const void* buf, uLong size) {
  auto* s = static_cast<ZipSink*>(stream);
  const char* p = static_cast<const char*>(buf);
  uLong left = size;
  while (left > 0) {
    const ssize_t w = ::pwrite(s->fd, p, left, static_cast<off_t>(s->pos));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      s->error = w < 0 ? errno : ENOSPC;
      return size - left;
    }
    p += w;
    left -= static_cast<uLong>(w);
    s->pos += static_cast<uint64_t>(w);
  }
  s->end = std::max(s->end, s->pos);
  return size;
}
ZPOS64_T sink_tell(voidpf, voidpf stream) { return static_cast<ZipSink*>(stream)->pos; }
long sink_seek(voidpf, voidpf stream, ZPOS64_T offset, int origin) {
  auto* s = static_cast<ZipSink*>(stream);
  switch (origin) {
    case ZLIB_FILEFUNC_SEEK_SET:
      s->pos = offset;
      break;
    case ZLIB_FILEFUNC_SEEK_CUR:
      s->pos += offset;
      break;
    case ZLIB_FILEFUNC_SEEK_END:
      s->pos = s->end + offset;
      break;
    default:
      return -1;
  }
  return 0;
}
int sink_close(voidpf, voidpf stream) {
  auto* s = static_cast<ZipSink*>(stream);
  if (s->fd >= 0 && ::close(s->fd) != 0 && s->error == 0) s->error = errno;
  s->fd = -1;
  return s->error ? -1 : 0;
}
int sink_error(voidpf, voidpf stream) { return static_cast<ZipSink*>(stream)->error; }

bool zip64_always() {
  const char* v = std::getenv("SWA_PT_ZIP64");  // tests: the zip64 layout on small files
  return v && std::string(v) == "always";
}

}  // namespace

ZipWriter::ZipWriter(const std::string& path, const std::string& display_path)
    : sink_(std::make_unique<ZipSink>()), display_path_(display_path) {
  sink_->fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (sink_->fd < 0)
    throw InputError(display_path, std::string("cannot create: ") + std::strerror(errno));
  zlib_filefunc64_def io{sink_open, sink_read,  sink_write, sink_tell,
                         sink_seek, sink_close, sink_error, sink_.get()};
  zip_ = zipOpen2_64(path.c_str(), APPEND_STATUS_CREATE, nullptr, &io);
  if (!zip_) fail("cannot start the zip archive");
}

ZipWriter::~ZipWriter() {
  if (zip_) zipClose(zip_, nullptr);
  if (sink_->fd >= 0) ::close(sink_->fd);
}

uint64_t ZipWriter::position() const { return sink_->pos; }

void ZipWriter::fail(const std::string& what) const {
  const int err = sink_->error;
  throw InputError(display_path_, "cannot write PyTorch archive: " +
                                      (err ? std::string(std::strerror(err)) : what));
}

void ZipWriter::begin_entry(const std::string& name, uint64_t size) {
  const uint64_t header = sink_->pos;
  const bool zip64 = zip64_always() || header + size >= kZip64Threshold || size >= kZip64Threshold;
  const uint64_t fixed = header + kLocalHeaderBytes + name.size() +
                         (zip64 ? kZip64LocalExtraBytes : 0) + kPaddingHeaderBytes;
  const uint64_t pad = (kZipDataAlignment - fixed % kZipDataAlignment) % kZipDataAlignment;
  std::vector<unsigned char> extra(kPaddingHeaderBytes + pad, 'Z');
  extra[0] = kPaddingFieldId & 0xff;
  extra[1] = kPaddingFieldId >> 8;
  extra[2] = static_cast<unsigned char>(pad & 0xff);
  extra[3] = static_cast<unsigned char>(pad >> 8);
  zip_fileinfo info{};
  info.dosDate = kDosDate1980;
  if (zipOpenNewFileInZip4_64(zip_, name.c_str(), &info, extra.data(),
                              static_cast<uInt>(extra.size()), nullptr, 0, nullptr, 0 /*stored*/, 0,
                              0, -MAX_WBITS, DEF_MEM_LEVEL, Z_DEFAULT_STRATEGY, nullptr, 0,
                              0 /*versionMadeBy*/, 0 /*flagBase*/, zip64 ? 1 : 0) != ZIP_OK) {
    fail("cannot add entry " + name);
  }
  expected_ = size;
  written_ = 0;
}

void ZipWriter::write(const void* bytes, uint64_t n) {
  const char* p = static_cast<const char*>(bytes);
  while (n > 0) {
    const unsigned chunk = static_cast<unsigned>(std::min<uint64_t>(n, 1u << 30));
    if (zipWriteInFileInZip(zip_, p, chunk) != ZIP_OK) fail("write failed");
    p += chunk;
    n -= chunk;
    written_ += chunk;
  }
}

void ZipWriter::end_entry() {
  if (written_ != expected_)
    throw std::logic_error("zip entry written with another size than announced");
  if (zipCloseFileInZip(zip_) != ZIP_OK) fail("cannot close entry");
}

void ZipWriter::add(const std::string& name, const std::string& bytes) {
  begin_entry(name, bytes.size());
  write(bytes.data(), bytes.size());
  end_entry();
}

void ZipWriter::finish() {
  const int rc = zipClose(zip_, nullptr);
  zip_ = nullptr;
  if (rc != ZIP_OK || sink_->error) fail("cannot finish the zip archive");
}

}  // namespace swa
