// The reader of formats/hdf5_tensor_file.h: snapshots and plain h5py data files, each tensor read
// by offset where HDF5 stores it contiguously, its checksum verified as it is read.
#include <hdf5.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <mutex>
#include <optional>
#include <type_traits>

#include <unistd.h>

#include "formats/hdf5_attributes.h"
#include "formats/hdf5_element_types.h"
#include "formats/hdf5_library.h"
#include "formats/hdf5_stored_strings.h"
#include "formats/hdf5_tensor_file.h"
#include "formats/input_error.h"
#include "formats/readable_file.h"

namespace swa {
namespace {

constexpr int64_t kMaxExpansion = 1100;  // stored bytes to data bytes, any HDF5 filter we read

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

}  // namespace swa
