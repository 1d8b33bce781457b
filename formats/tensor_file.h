// Snapshot files as bytes: the torch-free layer under formats/snapshot.h.
// A reader knows the metadata and the tensor layout after opening and copies any byte range of a
// stored tensor (little-endian elements) into caller memory, from several threads at once, never
// holding more than the caller asked for. Stored checksums (HDF5 fletcher32 per chunk, zip CRC-32
// per entry) cover "segments" of a tensor; callers sum the bytes they read into one
// SegmentChecksum per segment and verify it.
// A writer takes whole tensors in layout order and publishes the file atomically on commit().
// No format here needs LibTorch: swa-average streams through this layer without loading it.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "formats/element_type.h"
#include "formats/file_identity.h"
#include "formats/segment_checksum.h"
#include "formats/snapshot_meta.h"
#include "formats/state_dict_origin.h"

namespace swa {

struct StoredTensor {
  std::string key;  // state_dict key, e.g. "layer1.0.conv1.weight"
  ElementType type = ElementType::kFloat32;
  std::vector<int64_t> shape;

  int64_t numel() const;
  int64_t nbytes() const { return numel() * element_size(type); }
  bool operator==(const StoredTensor& o) const {
    return key == o.key && type == o.type && shape == o.shape;
  }
};
using StoredLayout = std::vector<StoredTensor>;

// "float32 [64, 3, 7, 7]"
std::string describe_tensor(const StoredTensor& t);

// No file holds more than this many bytes in one tensor (4 EiB; a product past it overflows).
constexpr int64_t kMaxTensorBytes = int64_t{1} << 62;

// Throws InputError naming the file and tensor unless every dimension is non-negative and the
// bytes (numel * element size) stay within kMaxTensorBytes and `available` (what the file can
// hold for this tensor: its stored bytes times the most any filter can expand them). Readers
// call it before a caller allocates nbytes() on the file's word.
void check_tensor_size(const std::string& path, const StoredTensor& t, int64_t available);

enum class TensorFileKind;

struct ReadOptions;  // below: how open_tensor_file opens a file

class TensorFileReader {
 public:
  virtual ~TensorFileReader() = default;
  const std::string& path() const { return path_; }
  const SnapshotMeta& meta() const { return meta_; }
  const StoredLayout& layout() const { return layout_; }
  // Index of `key` in layout(), or -1.
  int64_t find(const std::string& key) const;

  // End offsets (bytes) of tensor i's checksummed segments; the last is nbytes().
  virtual std::vector<int64_t> segment_ends(size_t i) const { return {layout_[i].nbytes()}; }
  // False when only whole segments can be read (compressed HDF5 chunks).
  virtual bool reads_any_range() const { return true; }
  // Copies bytes [first, first + n) of tensor i into dst, inside one segment; adds them to
  // `sum` (fletcher32 of that segment). Thread-safe. Throws InputError naming file and tensor.
  virtual void read_range(size_t i, int64_t first, int64_t n, void* dst,
                          SegmentChecksum& sum) const = 0;
  // Throws InputError when segment s of tensor i, summed completely into `sum`, fails its
  // stored checksum. A no-op for containers without checksums.
  virtual void verify_segment(size_t /*i*/, size_t /*s*/, const SegmentChecksum& /*sum*/) const {}

  // For PyTorch files: which object was taken as the state dict, what was stripped and skipped.
  virtual const StateDictOrigin* state_dict_origin() const { return nullptr; }

  // Reads and verifies all of tensor i into dst (nbytes() bytes).
  void read_tensor(size_t i, void* dst) const;

  // The file as it was when opened (open_tensor_file records it).
  const FileIdentity& identity() const { return identity_; }
  // Throws InputError naming the file when it was replaced or written to since it was opened:
  // what was read may mix old and new bytes.
  void check_unchanged() const { require_unchanged(path_, identity_); }

 protected:
  explicit TensorFileReader(std::string path) : path_(std::move(path)) {}
  std::string path_;
  SnapshotMeta meta_;
  StoredLayout layout_;

 private:
  friend std::unique_ptr<TensorFileReader> open_tensor_file(const std::string& path,
                                                            const ReadOptions& options);
  FileIdentity identity_;
};

struct WriteOptions {
  bool compress = false;  // HDF5 only: shuffle + deflate (smaller, reads ~3x slower)
};

class TensorFileWriter {
 public:
  virtual ~TensorFileWriter() = default;  // without commit(): nothing appears at the final path
  // Tensor `index` of the layout, `layout[index].nbytes()` little-endian bytes; in layout order.
  virtual void write(size_t index, const void* bytes) = 0;
  // Records the metadata, flushes, and renames into place.
  virtual void commit(const SnapshotMeta& meta) = 0;
};

enum class SnapshotFormat { kHdf5, kTorchPickle, kSafetensors };

// From the file name's extension (.h5/.hdf5, .pt/.pth/.ckpt/.bin, .safetensors); throws
// InputError for an unknown one.
SnapshotFormat format_for_path(const std::string& path);
// Extensions a folder's snapshots are picked by: those above but .bin (a name too common for
// other files; a .bin file is read when named).
bool has_snapshot_extension(const std::string& path);
std::string format_name(SnapshotFormat f);
// The container the file's first bytes show (zip or pickle, HDF5 signature, safetensors header),
// or nullopt for none of them. Throws InputError when the file cannot be read.
std::optional<SnapshotFormat> format_from_bytes(const std::string& path);
// The container a file is read as: what its bytes show. Throws InputError when its name says
// another known container, saying what the bytes are; a name without a known extension is fine.
SnapshotFormat format_for_input(const std::string& path);

// What a file is opened as. A data set (lib/data/tensor_file_examples.h) may also be a plain HDF5
// file whose datasets sit at the root, as h5py writes `f["inputs"] = array`, without a snapshot's
// metadata.
enum class TensorFileKind { kSnapshot, kData };
struct ReadOptions {
  TensorFileKind kind = TensorFileKind::kSnapshot;
  // PyTorch files: which object is the state dict, a dotted path such as "state_dict_ema" (the
  // tools' --key); empty: the default rules (formats/torch_checkpoint.h). Other formats ignore it.
  std::string state_dict_key;
};
std::unique_ptr<TensorFileReader> open_tensor_file(const std::string& path,
                                                   const ReadOptions& options = {});
// What open_tensor_file(path)->meta() returns, without mapping the tensors where that is cheaper.
SnapshotMeta read_snapshot_meta(const std::string& path, const std::string& state_dict_key = "");
std::unique_ptr<TensorFileWriter> create_tensor_file(const std::string& path,
                                                     const StoredLayout& layout,
                                                     const WriteOptions& options = {});

}  // namespace swa
