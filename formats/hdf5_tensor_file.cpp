// Uses HDF5's C API directly: it reports failures as return codes plus an error stack we can
// turn into one readable sentence, where the C++ wrapper prints stacks and loses the detail.
#include "formats/hdf5_tensor_file.h"

#include <hdf5.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <mutex>
#include <optional>
#include <type_traits>

#include <unistd.h>

#include "formats/atomic_output.h"
#include "formats/hdf5_stored_strings.h"
#include "formats/input_error.h"
#include "formats/readable_file.h"

namespace swa {
namespace {

constexpr int64_t kMaxChunkBytes = int64_t{16} << 20;  // one chunk per tensor up to 16 MiB
constexpr unsigned kDeflateLevel = 4;
constexpr int64_t kMaxExpansion = 1100;  // stored bytes to data bytes, any HDF5 filter we read

// HDF5 closes what is still open from an atexit handler; after a write that failed (a full disk)
// its file state is half torn down and that handler crashes. Every file we open is closed by its
// owner, so the handler is not needed. Must run before the library initialises: a static.
const bool kNoHdf5AtExit = [] {
  H5dont_atexit();
  return true;
}();

// One line of an HDF5 error description. The file driver's message packs the whole failed
// request into one string ("file write failed: time = ..., errno = 28, error message = 'No space
// left on device', buf = ..."): of that, the system's message is what a person needs.
std::string readable_hdf5_message(const std::string& desc) {
  const std::string marker = "error message = '";
  const auto at = desc.find(marker);
  if (at != std::string::npos) {
    const auto start = at + marker.size();
    const auto end = desc.find('\'', start);
    if (end != std::string::npos) return desc.substr(start, end - start);
  }
  return desc.substr(0, desc.find('\n'));
}

// Silences HDF5's automatic stack printing once per process; errors are reported by us.
void silence_hdf5_errors() {
  (void)kNoHdf5AtExit;
  static bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

// The innermost (most specific) messages of HDF5's current error stack, e.g. "data error
// detected by Fletcher32 checksum".
std::string hdf5_error_text() {
  std::vector<std::string> messages;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned, const H5E_error2_t* err, void* out) -> herr_t {
        auto* list = static_cast<std::vector<std::string>*>(out);
        if (!err->desc || !*err->desc) return 0;
        const std::string message = readable_hdf5_message(err->desc);
        if (std::find(list->begin(), list->end(), message) == list->end()) {
          list->push_back(message);
        }
        return 0;
      },
      &messages);
  H5Eclear2(H5E_DEFAULT);
  if (messages.empty()) return "unknown HDF5 error";
  std::string text;
  for (size_t i = 0; i < messages.size() && i < 3; ++i) text += (i ? "; " : "") + messages[i];
  return text;
}

// Owns one HDF5 identifier and closes it with the matching function.
class Hid {
 public:
  Hid() = default;
  Hid(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Hid(Hid&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  Hid& operator=(Hid&& o) noexcept {
    reset();
    id_ = o.id_;
    close_ = o.close_;
    o.id_ = -1;
    return *this;
  }
  ~Hid() { reset(); }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  herr_t close() {
    herr_t r = id_ >= 0 ? close_(id_) : 0;
    id_ = -1;
    return r;
  }

 private:
  void reset() {
    if (id_ >= 0) close_(id_);
    id_ = -1;
  }
  hid_t id_ = -1;
  herr_t (*close_)(hid_t) = nullptr;
};

Hid half_float_type() {
  // IEEE binary16, as h5py and numpy's float16 define it.
  Hid t(H5Tcopy(H5T_IEEE_F32LE), H5Tclose);
  H5Tset_fields(t.get(), 15, 10, 5, 0, 10);
  H5Tset_size(t.get(), 2);
  H5Tset_ebias(t.get(), 15);
  return t;
}

// The HDF5 type each element type is stored as. bfloat16 and bool have no HDF5 equivalent and
// are stored as their bit patterns (uint16, uint8); the dataset's "dtype" attribute says so.
Hid file_type_for(ElementType type) {
  auto copy = [](hid_t t) { return Hid(H5Tcopy(t), H5Tclose); };
  switch (type) {
    case ElementType::kFloat32:
      return copy(H5T_IEEE_F32LE);
    case ElementType::kFloat64:
      return copy(H5T_IEEE_F64LE);
    case ElementType::kFloat16:
      return half_float_type();
    case ElementType::kBFloat16:
      return copy(H5T_STD_U16LE);
    case ElementType::kInt64:
      return copy(H5T_STD_I64LE);
    case ElementType::kInt32:
      return copy(H5T_STD_I32LE);
    case ElementType::kInt16:
      return copy(H5T_STD_I16LE);
    case ElementType::kInt8:
      return copy(H5T_STD_I8LE);
    case ElementType::kUInt8:
      return copy(H5T_STD_U8LE);
    case ElementType::kBool:
      return copy(H5T_STD_U8LE);
  }
  throw std::logic_error("unknown element type");
}

// For files written by other tools (h5py): the element type implied by the HDF5 type alone.
bool element_type_from_hdf5_type(hid_t type, ElementType& out) {
  const size_t size = H5Tget_size(type);
  switch (H5Tget_class(type)) {
    case H5T_FLOAT:
      if (size == 4)
        out = ElementType::kFloat32;
      else if (size == 8)
        out = ElementType::kFloat64;
      else if (size == 2)
        out = ElementType::kFloat16;
      else
        return false;
      return true;
    case H5T_INTEGER: {
      const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
      if (size == 8 && is_signed)
        out = ElementType::kInt64;
      else if (size == 4 && is_signed)
        out = ElementType::kInt32;
      else if (size == 2 && is_signed)
        out = ElementType::kInt16;
      else if (size == 1)
        out = is_signed ? ElementType::kInt8 : ElementType::kUInt8;
      else
        return false;
      return true;
    }
    default:
      return false;
  }
}

// HDF5 is not thread-safe in Debian's serial build: every library call that may run while
// reader threads are active takes this lock.
std::mutex& hdf5_lock() {
  static std::mutex m;
  return m;
}

// ---- attributes -----------------------------------------------------------------------------

void write_string_attr(hid_t obj, const char* name, const std::string& value) {
  Hid type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  Hid space(H5Screate(H5S_SCALAR), H5Sclose);
  Hid attr(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  const char* ptr = value.c_str();
  if (!attr.valid() || H5Awrite(attr.get(), type.get(), &ptr) < 0) {
    throw std::runtime_error(std::string("HDF5: cannot write attribute ") + name + ": " +
                             hdf5_error_text());
  }
}

template <typename T>
void write_number_attr(hid_t obj, const char* name, T value, hid_t file_type, hid_t mem_type) {
  Hid space(H5Screate(H5S_SCALAR), H5Sclose);
  Hid attr(H5Acreate2(obj, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!attr.valid() || H5Awrite(attr.get(), mem_type, &value) < 0) {
    throw std::runtime_error(std::string("HDF5: cannot write attribute ") + name + ": " +
                             hdf5_error_text());
  }
}

void write_int_attr(hid_t obj, const char* name, int64_t v) {
  write_number_attr(obj, name, v, H5T_STD_I64LE, H5T_NATIVE_INT64);
}
void write_real_attr(hid_t obj, const char* name, double v) {
  write_number_attr(obj, name, v, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE);
}

bool has_attr(hid_t obj, const char* name) { return H5Aexists(obj, name) > 0; }

// Every attribute we read holds one value: a longer one would overrun the value it is read into.
void require_one_value(hid_t attr, const char* name, const std::string& file) {
  Hid space(H5Aget_space(attr), H5Sclose);
  if (!space.valid() || H5Sget_simple_extent_npoints(space.get()) != 1) {
    throw InputError(file, std::string("attribute '") + name + "' does not hold exactly one value");
  }
}

// The superblock's terms for an object header at `address` in the file `in_file` belongs to.
ObjectHeaderPlace header_place(hid_t in_file, uint64_t address) {
  ObjectHeaderPlace place;
  place.address = address;
  Hid file(H5Iget_file_id(in_file), H5Fclose);
  Hid fcpl(file.valid() ? H5Fget_create_plist(file.get()) : -1, H5Pclose);
  size_t offset_size = 0, length_size = 0;
  hsize_t user_block = 0;
  if (fcpl.valid() && H5Pget_sizes(fcpl.get(), &offset_size, &length_size) >= 0 &&
      H5Pget_userblock(fcpl.get(), &user_block) >= 0) {
    place.base = user_block;
    place.offset_size = static_cast<unsigned>(offset_size);
    place.length_size = static_cast<unsigned>(length_size);
  }
  return place;
}

// Where open object `obj`'s header lies, for reading an attribute's stored bytes ourselves.
// Throws InputError when HDF5 cannot tell (a header it cannot read is not read further).
ObjectHeaderPlace object_header_place(hid_t obj, const std::string& file) {
  H5O_info_t info;
  if (H5Oget_info2(obj, &info, H5O_INFO_BASIC) < 0 || info.addr == HADDR_UNDEF) {
    throw InputError(file, "an object header cannot be read (corrupt file): " + hdf5_error_text());
  }
  return header_place(obj, info.addr);
}

// Checks, before HDF5 opens object `name` (a group or dataset), that its object header's blocks
// lie in the file (check_object_header): HDF5 allocates what a header claims before reading it.
// False when there is no such object.
bool check_before_open(hid_t file, const std::string& name, const ReadableFile& bytes) {
  H5L_info_t link;
  if (H5Lexists(file, name.c_str(), H5P_DEFAULT) <= 0 ||
      H5Lget_info(file, name.c_str(), &link, H5P_DEFAULT) < 0) {
    return false;
  }
  if (link.type == H5L_TYPE_HARD) check_object_header(bytes, header_place(file, link.u.address));
  return true;
}

// Reads a string attribute of `obj` in the open file `bytes` (its stored form checked first).
std::string read_string_attr(hid_t obj, const char* name, const ReadableFile& bytes) {
  const std::string& file = bytes.path();
  Hid attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) throw InputError(file, std::string("cannot open attribute '") + name + "'");
  Hid ftype(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(ftype.get()) != H5T_STRING) {
    throw InputError(file, std::string("attribute '") + name + "' is not a string");
  }
  require_one_value(attr.get(), name, file);
  auto refuse_longer_than_file = [&](uint64_t size) {
    if (size > bytes.size()) {  // what a corrupt header may claim
      throw InputError(file, std::string("attribute '") + name + "' claims " +
                                 std::to_string(size) + " bytes, more than the file holds");
    }
  };
  if (H5Tis_variable_str(ftype.get()) > 0) {
    const ObjectHeaderPlace place = object_header_place(obj, file);
    if (const auto stored = find_stored_string(bytes, place, name)) {
      check_stored_strings(bytes, place, std::string("attribute '") + name + "'", {*stored});
    }
    Hid mtype(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mtype.get(), H5T_VARIABLE);
    H5Tset_cset(mtype.get(), H5Tget_cset(ftype.get()));
    char* ptr = nullptr;
    if (H5Aread(attr.get(), mtype.get(), &ptr) < 0) {
      throw InputError(file,
                       std::string("cannot read attribute '") + name + "': " + hdf5_error_text());
    }
    std::string value = ptr ? ptr : "";
    H5free_memory(ptr);
    return value;
  }
  const size_t size = H5Tget_size(ftype.get());
  refuse_longer_than_file(size);
  std::string value(size, '\0');
  if (H5Aread(attr.get(), ftype.get(), value.data()) < 0) {
    throw InputError(file, std::string("cannot read attribute '") + name + "'");
  }
  value.resize(std::strlen(value.c_str()));
  return value;
}

template <typename T>
void read_number_attr(hid_t obj, const char* name, hid_t mem_type, T& out,
                      const std::string& file) {
  if (!has_attr(obj, name)) return;
  Hid attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  if (attr.valid()) require_one_value(attr.get(), name, file);
  if (!attr.valid() || H5Aread(attr.get(), mem_type, &out) < 0) {
    throw InputError(file,
                     std::string("attribute '") + name + "' is not a number: " + hdf5_error_text());
  }
}

nlohmann::json read_json_attr(hid_t obj, const char* name, const ReadableFile& bytes) {
  const std::string& file = bytes.path();
  if (!has_attr(obj, name)) return nlohmann::json::object();
  const std::string text = read_string_attr(obj, name, bytes);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(file, std::string("attribute '") + name + "' is not valid JSON: " + e.what());
  }
}

std::vector<std::string> read_string_dataset(hid_t file_id, const char* name,
                                             const ReadableFile& bytes) {
  const std::string& file = bytes.path();
  if (!check_before_open(file_id, name, bytes)) {
    throw InputError(file, std::string("missing dataset '") + name + "'");
  }
  Hid ds(H5Dopen2(file_id, name, H5P_DEFAULT), H5Dclose);
  if (!ds.valid()) throw InputError(file, std::string("missing dataset '") + name + "'");
  Hid space(H5Dget_space(ds.get()), H5Sclose);
  Hid ftype(H5Dget_type(ds.get()), H5Tclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (H5Tget_class(ftype.get()) != H5T_STRING || H5Tis_variable_str(ftype.get()) <= 0 || n < 0) {
    throw InputError(file, std::string("'") + name + "' is not a list of strings");
  }
  // Checked before HDF5 reads it (formats/hdf5_stored_strings.h); a layout other than the
  // contiguous one libhdf5 and h5py write is left to HDF5.
  const haddr_t offset = H5Dget_offset(ds.get());
  if (n > 0 && offset != HADDR_UNDEF) {
    const ObjectHeaderPlace place = object_header_place(ds.get(), file);
    const uint64_t character_size = string_character_size(bytes, place).value_or(1);
    check_stored_strings(
        bytes, place, std::string("dataset '") + name + "'",
        read_stored_strings(bytes, place, offset, static_cast<uint64_t>(n), character_size));
  } else if (n > 0 && static_cast<uint64_t>(n) > bytes.size() / 16) {
    throw InputError(file, std::string("'") + name + "' claims more strings than the file holds");
  }
  Hid mtype(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(mtype.get(), H5T_VARIABLE);
  H5Tset_cset(mtype.get(), H5T_CSET_UTF8);
  std::vector<char*> ptrs(static_cast<size_t>(std::max<hssize_t>(n, 0)), nullptr);
  if (n > 0 && H5Dread(ds.get(), mtype.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0) {
    throw InputError(file, std::string("cannot read '") + name + "': " + hdf5_error_text());
  }
  std::vector<std::string> out;
  for (char* p : ptrs) {
    out.emplace_back(p ? p : "");
  }
  H5Dvlen_reclaim(mtype.get(), space.get(), H5P_DEFAULT, ptrs.data());
  return out;
}

void write_string_dataset(hid_t loc, const char* name, const std::vector<std::string>& values) {
  Hid type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  hsize_t dims[1] = {values.size()};
  Hid space(H5Screate_simple(1, dims, nullptr), H5Sclose);
  Hid ds(H5Dcreate2(loc, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
         H5Dclose);
  std::vector<const char*> ptrs;
  for (const auto& v : values) ptrs.push_back(v.c_str());
  if (!ds.valid() || (!ptrs.empty() && H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                                ptrs.data()) < 0)) {
    throw std::runtime_error(std::string("HDF5: cannot write ") + name + ": " + hdf5_error_text());
  }
}

// ---- reader ---------------------------------------------------------------------------------

// Averaging keeps every input open: HDF5's per-file metadata cache, which may grow to 32 MB,
// would make memory grow with the number of inputs.
void limit_caches(hid_t fapl) {
  H5AC_cache_config_t mdc;
  mdc.version = H5AC__CURR_CACHE_CONFIG_VERSION;
  if (H5Pget_mdc_config(fapl, &mdc) >= 0) {
    mdc.set_initial_size = true;
    mdc.initial_size = 256 * 1024;
    mdc.min_size = 128 * 1024;
    mdc.max_size = 2 * 1024 * 1024;
    H5Pset_mdc_config(fapl, &mdc);
  }
}

// The root attributes (formats/SNAPSHOT.md), checked for the format name and version.
SnapshotMeta read_root_meta(hid_t root, const ReadableFile& bytes) {
  const std::string& path = bytes.path();
  if (!has_attr(root, "format") || read_string_attr(root, "format", bytes) != kSnapshotFormatName) {
    throw InputError(path, std::string("not a swa snapshot: root attribute format=\"") +
                               kSnapshotFormatName + "\" is missing (see formats/SNAPSHOT.md)");
  }
  SnapshotMeta meta;
  for_each_meta_field(meta, [&](const char* name, auto& field) {
    using Field = std::decay_t<decltype(field)>;
    if constexpr (std::is_same_v<Field, int64_t>) {
      read_number_attr(root, name, H5T_NATIVE_INT64, field, path);
    } else if constexpr (std::is_same_v<Field, double>) {
      read_number_attr(root, name, H5T_NATIVE_DOUBLE, field, path);
    } else if constexpr (std::is_same_v<Field, std::string>) {
      if (has_attr(root, name)) field = read_string_attr(root, name, bytes);
    } else {
      field = read_json_attr(root, name, bytes);
    }
    if (std::strcmp(name, "format_version") == 0 &&
        (meta.format_version > kSnapshotFormatVersion || meta.format_version < 1)) {
      throw InputError(path, "snapshot format_version " + std::to_string(meta.format_version) +
                                 " is not supported (this build reads versions 1.." +
                                 std::to_string(kSnapshotFormatVersion) + ")");
    }
  });
  return meta;
}

// The root attributes, one per SnapshotMeta field; JSON fields as strings.
void write_root_meta(hid_t root, const SnapshotMeta& meta) {
  write_string_attr(root, "format", kSnapshotFormatName);
  for_each_meta_field(meta, [&](const char* name, const auto& field) {
    using Field = std::decay_t<decltype(field)>;
    if constexpr (std::is_same_v<Field, int64_t>) {
      write_int_attr(root, name,
                     std::strcmp(name, "format_version") == 0 ? kSnapshotFormatVersion : field);
    } else if constexpr (std::is_same_v<Field, double>) {
      write_real_attr(root, name, field);
    } else if constexpr (std::is_same_v<Field, std::string>) {
      write_string_attr(root, name, field);
    } else {
      write_string_attr(root, name, field.dump());
    }
  });
}

// Opens an existing file read-only, without file locks (they fail on read-only and network file
// systems), after checking its root object header (check_object_header). Throws InputError when it
// is not HDF5.
Hid open_read_only(const ReadableFile& bytes) {
  const std::string& path = bytes.path();
  silence_hdf5_errors();
  Hid fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_file_locking(fapl.get(), false, true);
  limit_caches(fapl.get());
  if (const auto root = root_object_header(bytes)) check_object_header(bytes, *root);
  errno = 0;
  Hid file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
  if (!file.valid() && (errno == EMFILE || errno == ENFILE))
    throw InputError(path, "cannot open: " + open_error_text(errno));
  if (!file.valid()) {
    throw InputError(path, "not a readable HDF5 file (truncated, corrupt or another format): " +
                               hdf5_error_text());
  }
  return file;
}

class Hdf5TensorFileReader final : public TensorFileReader {
 public:
  Hdf5TensorFileReader(const std::string& path, bool plain_allowed)
      : TensorFileReader(path), bytes_(path) {
    std::lock_guard<std::mutex> lock(hdf5_lock());
    file_ = open_read_only(bytes_);
    if (plain_allowed && !has_attr(file_.get(), "format")) {
      read_layout(root_dataset_names(), "/");
    } else {
      meta_ = read_root_meta(file_.get(), bytes_);
      read_layout(read_string_dataset(file_.get(), "/meta/keys", bytes_), "/tensors/");
    }
    // Only datasets HDF5 must decode need the library afterwards.
    whole_reads_ =
        std::any_of(access_.begin(), access_.end(), [](const Access& a) { return a.library; });
    if (!whole_reads_) file_.close();
  }
  ~Hdf5TensorFileReader() override {
    std::lock_guard<std::mutex> lock(hdf5_lock());
    file_.close();
  }

  std::vector<int64_t> segment_ends(size_t i) const override {
    const Access& a = access_.at(i);
    if (a.library || a.segments.empty()) return {layout_[i].nbytes()};
    std::vector<int64_t> ends;
    for (const auto& s : a.segments) ends.push_back(s.end);
    return ends;
  }

  bool reads_any_range() const override { return !whole_reads_; }

  void read_range(size_t i, int64_t first, int64_t n, void* dst,
                  SegmentChecksum& sum) const override {
    const Access& a = access_.at(i);
    const StoredTensor& t = layout_[i];
    if (n <= 0) return;
    if (a.library) {
      if (first != 0 || n != t.nbytes())
        throw std::logic_error("HDF5-decoded tensors are read whole");
      read_with_library(i, dst);
      return;
    }
    const Segment& s = segment_at(a, first);
    if (first + n > s.end) throw std::logic_error("read_range crosses a checksum segment");
    const int64_t within = first - s.begin;
    bytes_.read_exact(dst, static_cast<uint64_t>(n), s.file_offset + static_cast<uint64_t>(within),
                      tensor_name(t));
    if (s.checksummed) sum.fletcher32.add(dst, n, within, s.stored_bytes);
  }

  void verify_segment(size_t i, size_t seg, const SegmentChecksum& sum) const override {
    const Access& a = access_.at(i);
    if (a.library || seg >= a.segments.size() || !a.segments[seg].checksummed) return;
    const Segment& s = a.segments[seg];
    const StoredTensor& t = layout_[i];
    Fletcher32 whole = sum.fletcher32;
    const int64_t logical = s.end - s.begin;
    if (s.stored_bytes > logical) {  // an edge chunk is stored padded to the full chunk size
      std::vector<char> pad(static_cast<size_t>(s.stored_bytes - logical));
      bytes_.read_exact(pad.data(), static_cast<uint64_t>(s.stored_bytes - logical),
                        s.file_offset + static_cast<uint64_t>(logical), tensor_name(t));
      whole.add(pad.data(), s.stored_bytes - logical, logical, s.stored_bytes);
    }
    unsigned char stored[4];
    bytes_.read_exact(stored, 4, s.file_offset + static_cast<uint64_t>(s.stored_bytes),
                      tensor_name(t));
    const uint32_t expected = uint32_t{stored[0]} | uint32_t{stored[1]} << 8 |
                              uint32_t{stored[2]} << 16 | uint32_t{stored[3]} << 24;
    if (expected == whole.value()) return;
    // HDF5 has the last word (it also accepts checksums of old library versions).
    std::vector<char> scratch(static_cast<size_t>(t.nbytes()));
    read_with_library(i, scratch.data());
  }

 private:
  struct Segment {
    int64_t begin = 0, end = 0;  // bytes of the tensor
    uint64_t file_offset = 0;
    int64_t stored_bytes = 0;  // chunk bytes in the file, before the checksum
    bool checksummed = false;
  };
  struct Access {
    bool library = false;  // HDF5 must decode this dataset
    std::vector<Segment> segments;
  };

  static const Segment& segment_at(const Access& a, int64_t first) {
    auto it = std::upper_bound(a.segments.begin(), a.segments.end(), first,
                               [](int64_t x, const Segment& s) { return x < s.end; });
    if (it == a.segments.end()) throw std::logic_error("read_range past the tensor's end");
    return *it;
  }

  static std::string tensor_name(const StoredTensor& t) { return "tensor '" + t.key + "'"; }

  void read_with_library(size_t i, void* dst) const {
    const StoredTensor& t = layout_[i];
    std::lock_guard<std::mutex> lock(hdf5_lock());
    if (!file_.valid()) file_ = open_read_only(bytes_);
    const std::string name = "/tensors/" + t.key;
    Hid ds(H5Dopen2(file_.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!ds.valid()) throw InputError(path_, t.key, "cannot open dataset: " + hdf5_error_text());
    if (t.numel() == 0) return;
    Hid mem_type = file_type_for(t.type);
    if (H5Dread(ds.get(), mem_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, dst) < 0) {
      const std::string why = hdf5_error_text();
      if (why.find("checksum") != std::string::npos ||
          why.find("Fletcher32") != std::string::npos) {
        throw InputError(path_, t.key,
                         "checksum mismatch: the stored bytes are corrupt (" + why + ")");
      }
      throw InputError(path_, t.key, "cannot read data (truncated or corrupt file?): " + why);
    }
  }

  // The datasets directly under the root, by name.
  std::vector<std::string> root_dataset_names() const {
    std::vector<std::string> names;
    auto visit = [](hid_t group, const char* name, const H5L_info_t*, void* out) -> herr_t {
      H5O_info_t info;
      if (H5Oget_info_by_name2(group, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) >= 0 &&
          info.type == H5O_TYPE_DATASET) {
        static_cast<std::vector<std::string>*>(out)->push_back(name);
      }
      return 0;
    };
    if (H5Literate(file_.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr, visit, &names) < 0)
      throw InputError(path_, "cannot list the root group's datasets: " + hdf5_error_text());
    return names;
  }

  // Datasets `group` + key, for each key.
  void read_layout(const std::vector<std::string>& keys, const std::string& group) {
    if (group != "/") check_before_open(file_.get(), group.substr(0, group.size() - 1), bytes_);
    for (const auto& key : keys) {
      const std::string name = group + key;
      Hid ds(check_before_open(file_.get(), name, bytes_)
                 ? H5Dopen2(file_.get(), name.c_str(), H5P_DEFAULT)
                 : -1,
             H5Dclose);
      if (!ds.valid()) {
        throw InputError(path_, key, "listed but dataset " + name + " is missing");
      }
      StoredTensor info;
      info.key = key;
      Hid ftype(H5Dget_type(ds.get()), H5Tclose);
      bool known = has_attr(ds.get(), "dtype") &&
                   element_type_from_name(read_string_attr(ds.get(), "dtype", bytes_), info.type);
      if (!known && !element_type_from_hdf5_type(ftype.get(), info.type)) {
        throw InputError(path_, key, "unsupported HDF5 element type");
      }
      Hid space(H5Dget_space(ds.get()), H5Sclose);
      const int rank = H5Sget_simple_extent_ndims(space.get());
      if (rank < 0) throw InputError(path_, key, "unreadable dataspace: " + hdf5_error_text());
      std::vector<hsize_t> dims(static_cast<size_t>(rank));
      H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
      for (hsize_t d : dims) {
        if (d > static_cast<hsize_t>(kMaxTensorBytes)) {
          throw InputError(path_, key, "has an impossible dimension " + std::to_string(d));
        }
        info.shape.push_back(static_cast<int64_t>(d));
      }
      // HDF5 reads chunks that were never written as zeros: a dataset may claim any size. What
      // is stored bounds what it can hold (deflate expands at most about 1,032-fold).
      const auto stored = static_cast<int64_t>(
          std::min<hsize_t>(H5Dget_storage_size(ds.get()), static_cast<hsize_t>(bytes_.size())));
      check_tensor_size(path_, info,
                        std::min(kMaxTensorBytes / kMaxExpansion, stored) * kMaxExpansion);
      access_.push_back(find_storage(ds.get(), ftype.get(), info));
      layout_.push_back(std::move(info));
    }
  }

  // Where the dataset's bytes lie, when they can be read without HDF5: little-endian elements
  // of the expected size, stored contiguously or in chunks of whole rows that carry at most
  // a fletcher32 filter. Anything else is left to the library.
  // How tensor t's bytes can be read: straight from the file (contiguous, or chunked by rows with
  // at most Fletcher-32), or through HDF5 (anything else: compression, big-endian, odd chunks).
  Access find_storage(hid_t ds, hid_t ftype, const StoredTensor& t) const {
    Access library;
    library.library = true;
    const int64_t nbytes = t.nbytes();
    if (nbytes == 0) return Access{};
    if (static_cast<int64_t>(H5Tget_size(ftype)) != element_size(t.type)) return library;
    if (element_size(t.type) > 1 && H5Tget_order(ftype) != H5T_ORDER_LE) return library;
    Hid dcpl(H5Dget_create_plist(ds), H5Pclose);
    Access direct;
    switch (H5Pget_layout(dcpl.get())) {
      case H5D_CONTIGUOUS: {
        const haddr_t addr = H5Dget_offset(ds);
        if (addr == HADDR_UNDEF) return library;
        direct.segments.push_back({0, nbytes, addr, nbytes, false});
        break;
      }
      case H5D_CHUNKED: {
        auto segments = row_chunk_segments(ds, dcpl.get(), t);
        if (!segments) return library;
        direct.segments = std::move(*segments);
        break;
      }
      default:
        return library;
    }
    for (const auto& s : direct.segments) {
      if (s.end <= s.begin && nbytes > 0) return library;  // a chunk HDF5 did not list
      const uint64_t stored_end =
          s.file_offset + static_cast<uint64_t>(s.stored_bytes) + (s.checksummed ? 4 : 0);
      if (stored_end > bytes_.size()) {
        throw InputError(path_, t.key, "data runs past the end of the file (truncated?)");
      }
    }
    return direct;
  }

  // Whether every filter of a chunked dataset is Fletcher-32 (so its chunks are the raw bytes
  // plus a checksum); nullopt when another filter (compression, shuffle) is in the pipeline.
  static std::optional<bool> only_checksum_filters(hid_t dcpl) {
    bool checksummed = false;
    for (int f = 0; f < H5Pget_nfilters(dcpl); ++f) {
      unsigned flags = 0, config = 0;
      size_t nelmts = 0;
      char name[64];
      if (H5Pget_filter2(dcpl, static_cast<unsigned>(f), &flags, &nelmts, nullptr, sizeof name,
                         name, &config) != H5Z_FILTER_FLETCHER32) {
        return std::nullopt;
      }
      checksummed = true;
    }
    return checksummed;
  }

  // The file segments of a dataset chunked along its first dimension only (what our writer
  // does), one per chunk in row order; nullopt for any other chunking or a missing chunk.
  static std::optional<std::vector<Segment>> row_chunk_segments(hid_t ds, hid_t dcpl,
                                                                const StoredTensor& t) {
    const auto checksummed = only_checksum_filters(dcpl);
    const size_t rank = t.shape.size();
    std::vector<hsize_t> chunk(rank);
    if (!checksummed || rank == 0 ||
        H5Pget_chunk(dcpl, static_cast<int>(rank), chunk.data()) != static_cast<int>(rank)) {
      return std::nullopt;
    }
    for (size_t d = 1; d < rank; ++d) {
      if (static_cast<int64_t>(chunk[d]) != t.shape[d]) return std::nullopt;
    }
    const int64_t rows = t.shape[0];
    const int64_t row_bytes = t.nbytes() / rows;
    const auto chunk_rows = static_cast<int64_t>(chunk[0]);
    const int64_t n_chunks = (rows + chunk_rows - 1) / chunk_rows;
    // (HDF5 1.10 wants the dataspace itself here; H5S_ALL is refused.)
    Hid space(H5Dget_space(ds), H5Sclose);
    hsize_t allocated = 0;
    if (H5Dget_num_chunks(ds, space.get(), &allocated) < 0 ||
        static_cast<int64_t>(allocated) != n_chunks) {
      return std::nullopt;
    }
    std::vector<Segment> segments(static_cast<size_t>(n_chunks));
    for (hsize_t c = 0; c < allocated; ++c) {
      std::vector<hsize_t> origin(rank);
      unsigned mask = 0;
      haddr_t addr = HADDR_UNDEF;
      hsize_t size = 0;
      if (H5Dget_chunk_info(ds, space.get(), c, origin.data(), &mask, &addr, &size) < 0 ||
          mask != 0 || addr == HADDR_UNDEF) {
        return std::nullopt;
      }
      const int64_t k = static_cast<int64_t>(origin[0]) / chunk_rows;
      const int64_t stored = chunk_rows * row_bytes;
      if (k >= n_chunks || static_cast<int64_t>(size) != stored + (*checksummed ? 4 : 0)) {
        return std::nullopt;
      }
      Segment& s = segments[static_cast<size_t>(k)];
      s.begin = k * chunk_rows * row_bytes;
      s.end = std::min(rows, (k + 1) * chunk_rows) * row_bytes;
      s.file_offset = addr;
      s.stored_bytes = stored;
      s.checksummed = *checksummed;
    }
    return segments;
  }

  ReadableFile bytes_;  // chunks are read here, with pread
  mutable Hid file_;    // open only while some dataset needs HDF5 to decode it
  bool whole_reads_ = false;
  std::vector<Access> access_;
};

// ---- writer ---------------------------------------------------------------------------------

class Hdf5TensorFileWriter final : public TensorFileWriter {
 public:
  Hdf5TensorFileWriter(const std::string& path, const StoredLayout& layout,
                       const WriteOptions& options)
      : output_(path), layout_(layout), options_(options) {
    silence_hdf5_errors();
    std::lock_guard<std::mutex> lock(hdf5_lock());
    Hid fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    H5Pset_file_locking(fapl.get(), false, true);
    file_ = Hid(H5Fcreate(output_.temp_path().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()),
                H5Fclose);
    if (!file_.valid()) fail("cannot create file");
    output_.reserve(expected_bytes());
    tensors_ =
        Hid(H5Gcreate2(file_.get(), "tensors", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    if (!tensors_.valid()) fail("cannot create group /tensors");
    for (const auto& info : layout_) {
      if (info.key.empty() || info.key.find('/') != std::string::npos) {
        throw InputError(path, info.key, "state_dict keys must be non-empty and contain no '/'");
      }
    }
  }

  void write(size_t index, const void* bytes) override {
    if (index != next_) throw std::logic_error("tensors written out of layout order");
    const StoredTensor& info = layout_[next_++];
    const std::string& key = info.key;
    std::lock_guard<std::mutex> lock(hdf5_lock());
    Hid ftype = file_type_for(info.type);
    std::vector<hsize_t> dims(info.shape.begin(), info.shape.end());
    Hid space(info.shape.empty()
                  ? H5Screate(H5S_SCALAR)
                  : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
              H5Sclose);
    Hid dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
    if (!info.shape.empty() && info.numel() > 0) set_chunking(dcpl.get(), info);
    Hid ds(H5Dcreate2(tensors_.get(), key.c_str(), ftype.get(), space.get(), H5P_DEFAULT,
                      dcpl.get(), H5P_DEFAULT),
           H5Dclose);
    if (!ds.valid()) fail("cannot create dataset for '" + key + "'");
    write_string_attr(ds.get(), "dtype", element_type_name(info.type));
    if (info.numel() > 0 &&
        H5Dwrite(ds.get(), ftype.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes) < 0) {
      fail("cannot write tensor '" + key + "'");
    }
    if (ds.close() < 0) fail("cannot write tensor '" + key + "'");
  }

  void commit(const SnapshotMeta& meta) override {
    std::lock_guard<std::mutex> lock(hdf5_lock());
    if (next_ != layout_.size()) {
      throw std::logic_error("commit after " + std::to_string(next_) + " of " +
                             std::to_string(layout_.size()) + " tensors");
    }
    const hid_t root = file_.get();
    write_root_meta(root, meta);
    Hid meta_group(H5Gcreate2(root, "meta", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
    std::vector<std::string> keys;
    for (const auto& info : layout_) keys.push_back(info.key);
    write_string_dataset(meta_group.get(), "keys", keys);
    meta_group.close();
    tensors_.close();
    if (H5Fflush(root, H5F_SCOPE_GLOBAL) < 0 || file_.close() < 0) fail("cannot finish file");
    output_.commit();
    committed_ = true;
  }

  ~Hdf5TensorFileWriter() override {
    if (committed_) return;
    // A failed or abandoned file: empty it first, so that closing it (HDF5 flushes its metadata
    // cache on close) needs little space on a disk that has just filled up.
    (void)::truncate(output_.temp_path().c_str(), 0);
    std::lock_guard<std::mutex> lock(hdf5_lock());
    tensors_.close();
    file_.close();
    H5Eclear2(H5E_DEFAULT);
  }

 private:
  // The tensors' bytes (uncompressed, an upper bound when compressing) plus HDF5's metadata.
  int64_t expected_bytes() const {
    int64_t bytes = int64_t{1} << 20;
    for (const auto& info : layout_) bytes += info.nbytes() + 4096;
    return bytes;
  }

  void set_chunking(hid_t dcpl, const StoredTensor& info) {
    // Chunk along the first dimension so each chunk stays under kMaxChunkBytes.
    std::vector<hsize_t> chunk(info.shape.begin(), info.shape.end());
    const int64_t row_bytes = info.nbytes() / std::max<int64_t>(info.shape[0], 1);
    chunk[0] = static_cast<hsize_t>(
        std::clamp<int64_t>(kMaxChunkBytes / std::max<int64_t>(row_bytes, 1), 1, info.shape[0]));
    H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data());
    if (options_.compress) {
      H5Pset_shuffle(dcpl);
      H5Pset_deflate(dcpl, kDeflateLevel);
    }
    H5Pset_fletcher32(dcpl);
  }

  [[noreturn]] void fail(const std::string& what) {
    throw InputError(output_.final_path(), what + ": " + hdf5_error_text());
  }

  AtomicOutput output_;
  StoredLayout layout_;
  WriteOptions options_;
  Hid file_;
  Hid tensors_;
  size_t next_ = 0;
  bool committed_ = false;
};

}  // namespace

std::unique_ptr<TensorFileReader> open_hdf5_tensor_file(const std::string& path) {
  return std::make_unique<Hdf5TensorFileReader>(path, /*plain_allowed=*/false);
}

std::unique_ptr<TensorFileReader> open_hdf5_data_file(const std::string& path) {
  return std::make_unique<Hdf5TensorFileReader>(path, /*plain_allowed=*/true);
}

SnapshotMeta read_hdf5_snapshot_meta(const std::string& path) {
  const ReadableFile bytes(path);  // "cannot open: No such file" before HDF5 has its say
  std::lock_guard<std::mutex> lock(hdf5_lock());
  const Hid file = open_read_only(bytes);
  return read_root_meta(file.get(), bytes);
}

std::unique_ptr<TensorFileWriter> create_hdf5_tensor_file(const std::string& path,
                                                          const StoredLayout& layout,
                                                          const WriteOptions& options) {
  return std::make_unique<Hdf5TensorFileWriter>(path, layout, options);
}

}  // namespace swa
