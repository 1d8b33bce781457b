// The writer of formats/hdf5_tensor_file.h: a snapshot written to a temporary file and renamed
// into place when committed (formats/atomic_output.h).
#include <hdf5.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include <unistd.h>

#include "formats/atomic_output.h"
#include "formats/hdf5_attributes.h"
#include "formats/hdf5_element_types.h"
#include "formats/hdf5_library.h"
#include "formats/hdf5_tensor_file.h"
#include "formats/input_error.h"

namespace swa {
namespace {

constexpr int64_t kMaxChunkBytes = int64_t{16} << 20;  // one chunk per tensor up to 16 MiB
constexpr unsigned kDeflateLevel = 4;

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

std::unique_ptr<TensorFileWriter> create_hdf5_tensor_file(const std::string& path,
                                                          const StoredLayout& layout,
                                                          const WriteOptions& options) {
  return std::make_unique<Hdf5TensorFileWriter>(path, layout, options);
}

}  // namespace swa
