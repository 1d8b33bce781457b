#include "formats/torch_save_tensor_file.h"

#include <cstring>
#include <functional>
#include <map>
#include <optional>

#include "formats/atomic_output.h"
#include "formats/crc32.h"
#include "formats/input_error.h"
#include "formats/readable_file.h"
#include "formats/restricted_unpickler.h"
#include "formats/state_dict_pickle.h"
#include "formats/torch_checkpoint.h"
#include "formats/zip_archive.h"
#include "formats/zip_writer.h"

namespace swa {
namespace {

constexpr const char* kMetaRecord = "swa_meta.json";
constexpr const char* kArchiveName = "archive/";
constexpr uint64_t kMaxPickleBytes = 1ull << 30;
constexpr uint64_t kMaxMetaBytes = 64ull << 20;
// The legacy format starts with this number, pickled (torch/serialization.py's MAGIC_NUMBER).
constexpr unsigned char kLegacyMagic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9,
                                          0x20, 0x6a, 0xa8, 0x50, 0x19};
constexpr int64_t kLegacyProtocolVersion = 1001;

// Where a storage's bytes lie: in place in the file (a stored zip entry, a legacy storage), or
// only through the zip library (a compressed entry).
struct StorageBytes {
  std::string name;  // for messages: "data/3"
  uint64_t offset = 0;
  uint64_t size = 0;
  bool checksummed = false;
  uint32_t crc = 0;
  const ZipEntry* compressed = nullptr;
};

// Where each tensor of the layout is read from.
struct Placement {
  uint64_t offset = 0;
  bool checksummed = false;  // the tensor is its whole zip entry: CRC-32 checked while reading
  uint32_t crc = 0;
  bool copied = false;  // read at open time into `copy`
  std::vector<char> copy;
};

bool mul_overflows(int64_t a, int64_t b, int64_t& out) {
  return __builtin_mul_overflow(a, b, &out);
}

class TorchSaveTensorFileReader final : public TensorFileReader {
 public:
  TorchSaveTensorFileReader(const std::string& path, const std::string& state_dict_key)
      : TensorFileReader(path), file_(path), state_dict_key_(state_dict_key) {
    unsigned char head[4] = {0, 0, 0, 0};
    if (file_.size() >= 4) file_.read_exact(head, 4, 0, "header");
    if (std::memcmp(head, "PK\x03\x04", 4) == 0 || std::memcmp(head, "PK\x05\x06", 4) == 0) {
      open_zip();
    } else if (head[0] == 0x80 && head[1] >= 2 && head[1] <= 5) {
      open_legacy();
    } else {
      throw InputError(
          path,
          "not a PyTorch file (neither torch.save's zip archive nor its legacy pickle format)");
    }
    if (layout_.empty())
      throw InputError(path, "the state dict '" + origin_.object + "' holds no tensors");
  }

  const StateDictOrigin* state_dict_origin() const override { return &origin_; }

  void read_range(size_t i, int64_t first, int64_t n, void* dst,
                  SegmentChecksum& sum) const override {
    if (first < 0 || n < 0 || first + n > layout_.at(i).nbytes())
      throw std::logic_error("read_range outside the tensor");
    const Placement& p = placements_[i];
    if (p.copied) {
      if (n > 0) std::memcpy(dst, p.copy.data() + first, static_cast<size_t>(n));
      return;
    }
    file_.read_exact(dst, static_cast<uint64_t>(n), p.offset + static_cast<uint64_t>(first),
                     "tensor '" + layout_[i].key + "'");
    if (p.checksummed) sum.crc32.add(dst, n, first);
  }

  void verify_segment(size_t i, size_t, const SegmentChecksum& sum) const override {
    const Placement& p = placements_[i];
    if (!p.checksummed) return;
    const auto crc = sum.crc32.value(layout_[i].nbytes());
    if (crc && *crc != p.crc) {
      throw InputError(path_, layout_[i].key,
                       "fails its CRC-32 check: the stored bytes are corrupt");
    }
  }

 private:
  // --- the zip container
  void open_zip() {
    ZipArchive zip(path_);
    std::string prefix;
    const ZipEntry* pickle = nullptr;
    for (const auto& e : zip.entries()) {
      const size_t slash = e.name.find('/');
      if (e.name == "data.pkl" || (slash != std::string::npos &&
                                   e.name.compare(slash, std::string::npos, "/data.pkl") == 0)) {
        pickle = &e;
        prefix = e.name.substr(0, e.name.size() - 8);
        break;
      }
    }
    if (!pickle)
      throw InputError(path_, "a zip archive without data.pkl: not a file torch.save wrote");
    if (zip.find(prefix + "constants.pkl")) {
      throw InputError(
          path_,
          "a TorchScript archive (torch.jit.save), not a torch.save file: save the model's "
          "state_dict() with torch.save instead");
    }
    if (const ZipEntry* order = zip.find(prefix + "byteorder")) {
      const std::string text = zip.read(*order, 64);
      if (text != "little")
        throw InputError(path_, "stores tensors in '" + text +
                                    "' byte order; only little-endian files are read");
    }
    const std::string pkl = zip.read(*pickle, kMaxPickleBytes);
    PickleDocument doc;  // only while opening: an input costs its layout, not its pickle
    const PickleValue* root = unpickle(pkl.data(), pkl.size(), doc, path_, "data.pkl").value;
    const CheckpointStateDict sd = find_state_dict(*root, state_dict_key_, path_);
    origin_ = sd.origin;
    if (const ZipEntry* meta = zip.find(prefix + kMetaRecord)) {
      const std::string text = zip.read(*meta, kMaxMetaBytes);
      try {
        meta_ = meta_from_json(nlohmann::json::parse(text), path_);
      } catch (const nlohmann::json::exception& e) {
        throw InputError(path_, std::string(kMetaRecord) + " is not valid JSON: " + e.what());
      }
    } else {
      meta_.epoch = sd.epoch;
      meta_.step = sd.step;
    }
    std::map<std::string, std::vector<char>> whole_storages;  // copied storages, while opening
    for (const auto& t : sd.tensors) {
      const std::string name = "data/" + t.tensor->storage->key;
      const ZipEntry* entry = zip.find(prefix + name);
      if (!entry)
        throw InputError(path_, t.key, "its storage " + name + " is missing from the archive");
      StorageBytes bytes{name, entry->data_offset, entry->size,
                         true, entry->crc32,       entry->stored ? nullptr : entry};
      place(t, bytes, zip, whole_storages);
    }
  }

  // --- the legacy format: pickles in a row (magic, protocol, system info, the object, the
  // storage keys), then each storage as its element count and its bytes.
  void open_legacy() {
    // The pickles come first and are small next to the storages after them: read a window of
    // the file, widened only when a pickle runs past its end.
    PickleDocument doc;
    std::vector<char> head;
    size_t pos = 0;
    enum { kMagic, kProtocol, kSystem, kRoot, kKeys };
    const PickleValue* pickles[5] = {};
    const char* names[5] = {"magic number", "protocol version", "system info", "data pickle",
                            "storage keys"};
    const uint64_t limit = std::min<uint64_t>(file_.size(), kMaxPickleBytes);
    for (uint64_t window = std::min<uint64_t>(limit, 1u << 20);;
         window = std::min(limit, window * 16)) {
      head.resize(window);
      file_.read_exact(head.data(), window, 0, "header");
      pos = 0;
      try {
        for (int i = kMagic; i <= kKeys; ++i) {
          const Unpickled u = unpickle(head.data() + pos, head.size() - pos, doc, path_, names[i]);
          pickles[i] = u.value;
          pos += u.consumed;
        }
        break;
      } catch (const PickleTruncated&) {
        if (window == limit) throw;
      }
    }
    const PickleValue* magic = pickles[kMagic];
    if (magic->kind != PickleValue::Kind::kInt || !magic->big_integer ||
        magic->text !=
            std::string(reinterpret_cast<const char*>(kLegacyMagic), sizeof kLegacyMagic)) {
      throw InputError(path_,
                       "not a PyTorch file: a pickle, but without torch.save's magic number");
    }
    const PickleValue* protocol = pickles[kProtocol];
    if (protocol->kind != PickleValue::Kind::kInt || protocol->integer != kLegacyProtocolVersion) {
      throw InputError(path_, "legacy torch.save protocol " + std::to_string(protocol->integer) +
                                  " is not read");
    }
    if (const PickleValue* le = pickles[kSystem]->find("little_endian");
        le && le->kind == PickleValue::Kind::kBool && !le->boolean) {
      throw InputError(path_,
                       "was saved on a big-endian machine; only little-endian files are read");
    }
    const PickleValue* root = pickles[kRoot];
    const PickleValue* keys = pickles[kKeys];
    if (keys->kind != PickleValue::Kind::kList)
      throw InputError(path_, "legacy storage key list is malformed");
    const CheckpointStateDict sd = find_state_dict(*root, state_dict_key_, path_);
    origin_ = sd.origin;
    meta_.epoch = sd.epoch;
    meta_.step = sd.step;

    std::map<std::string, int64_t>
        element_bytes_of;  // each key's element size, from its references
    for (const auto& ref : doc.storages()) {
      element_bytes_of.emplace(ref.key, ref.untyped ? 1 : element_size(ref.type));
    }
    std::map<std::string, StorageBytes> storages;
    uint64_t at = pos;
    for (const PickleValue* k : keys->items) {
      if (k->kind != PickleValue::Kind::kString)
        throw InputError(path_, "legacy storage key list is malformed");
      const auto known = element_bytes_of.find(k->text);
      const int64_t element_bytes = known == element_bytes_of.end() ? 1 : known->second;
      uint64_t count = 0;
      file_.read_exact(&count, 8, at, "storage " + k->text);
      int64_t size = 0;
      if (count > (1ull << 62) || mul_overflows(static_cast<int64_t>(count), element_bytes, size) ||
          at + 8 + static_cast<uint64_t>(size) > file_.size()) {
        throw InputError(path_,
                         "storage " + k->text + " runs past the end of the file (truncated?)");
      }
      storages[k->text] = StorageBytes{
          "storage " + k->text, at + 8, static_cast<uint64_t>(size), false, 0, nullptr};
      at += 8 + static_cast<uint64_t>(size);
    }
    std::map<std::string, std::vector<char>> whole_storages;
    for (const auto& t : sd.tensors) {
      auto it = storages.find(t.tensor->storage->key);
      if (it == storages.end())
        throw InputError(path_, t.key, "its storage is missing from the file");
      place(t, it->second, std::nullopt, whole_storages);
    }
  }

  // --- where a tensor's bytes are
  void place(const CheckpointTensor& ct, const StorageBytes& bytes,
             std::optional<std::reference_wrapper<const ZipArchive>> zip,
             std::map<std::string, std::vector<char>>& whole_storages) {
    const TensorRef& t = *ct.tensor;
    const int64_t es = element_size(t.type);
    int64_t numel = 1, last = 0;  // last: the highest element index the view touches
    for (size_t d = 0; d < t.shape.size(); ++d) {
      int64_t reach = 0;
      if (t.shape[d] < 0 || t.stride[d] < 0 || mul_overflows(numel, t.shape[d], numel) ||
          (t.shape[d] > 0 && (mul_overflows(t.shape[d] - 1, t.stride[d], reach) ||
                              __builtin_add_overflow(last, reach, &last)))) {
        throw InputError(path_, ct.key, "has an impossible shape or stride");
      }
    }
    const int64_t storage_es = t.storage->untyped ? 1 : element_size(t.storage->type);
    int64_t start = 0, end = 0, base = 0;
    if (t.offset < 0 || mul_overflows(t.storage->base_offset, storage_es, base) ||
        mul_overflows(t.offset, es, start) || __builtin_add_overflow(start, base, &start) ||
        (numel > 0 &&
         (mul_overflows(last + 1, es, end) || __builtin_add_overflow(end, start, &end)))) {
      throw InputError(path_, ct.key, "has an impossible storage offset");
    }
    if (numel > 0 && static_cast<uint64_t>(end) > bytes.size) {
      throw InputError(path_, ct.key,
                       "needs " + std::to_string(end) + " bytes of " + bytes.name +
                           ", which holds " + std::to_string(bytes.size) +
                           " (truncated or inconsistent file?)");
    }
    layout_.push_back({ct.key, t.type, t.shape});
    const int64_t nbytes = layout_.back().nbytes();
    Placement p;
    if (!bytes.compressed && is_contiguous(t)) {
      p.offset = bytes.offset + static_cast<uint64_t>(start);
      if (bytes.checksummed && start == 0 && static_cast<uint64_t>(nbytes) == bytes.size) {
        p.checksummed = true;
        p.crc = bytes.crc;
      } else if (bytes.checksummed) {
        storage(bytes, zip,
                whole_storages);  // part of a shared storage: the entry is checked once, whole
      }
    } else {
      const std::vector<char>& all = storage(bytes, zip, whole_storages);
      p.copied = true;
      p.copy.resize(static_cast<size_t>(nbytes));
      gather(t, all.data() + start, es, p.copy.data());
    }
    placements_.push_back(std::move(p));
  }

  static bool is_contiguous(const TensorRef& t) {
    int64_t expected = 1;
    for (size_t d = t.shape.size(); d-- > 0;) {
      if (t.shape[d] == 0) return true;
      if (t.shape[d] != 1 && t.stride[d] != expected) return false;
      expected *= t.shape[d];
    }
    return true;
  }

  // Copies a strided view into dst, row-major.
  static void gather(const TensorRef& t, const char* base, int64_t es, char* dst) {
    const size_t dims = t.shape.size();
    int64_t numel = 1;
    for (auto s : t.shape) numel *= s;
    std::vector<int64_t> index(dims, 0);
    for (int64_t n = 0; n < numel; ++n) {
      int64_t at = 0;
      for (size_t d = 0; d < dims; ++d) at += index[d] * t.stride[d];
      std::memcpy(dst + n * es, base + at * es, static_cast<size_t>(es));
      for (size_t d = dims; d-- > 0;) {
        if (++index[d] < t.shape[d]) break;
        index[d] = 0;
      }
    }
  }

  // A whole storage in memory, read once per file and checked against its CRC-32.
  const std::vector<char>& storage(const StorageBytes& bytes,
                                   std::optional<std::reference_wrapper<const ZipArchive>> zip,
                                   std::map<std::string, std::vector<char>>& cache) {
    auto it = cache.find(bytes.name);
    if (it != cache.end()) return it->second;
    std::vector<char> data;
    if (bytes.compressed) {
      const std::string s = zip->get().read(*bytes.compressed, bytes.size);
      data.assign(s.begin(), s.end());
    } else {
      data.resize(bytes.size);
      file_.read_exact(data.data(), bytes.size, bytes.offset, bytes.name);
      if (bytes.checksummed && crc32_of(data.data(), data.size()) != bytes.crc) {
        throw InputError(path_,
                         bytes.name + " fails its CRC-32 check: the stored bytes are corrupt");
      }
    }
    return cache.emplace(bytes.name, std::move(data)).first->second;
  }

  ReadableFile file_;
  std::string state_dict_key_;  // ReadOptions::state_dict_key
  StateDictOrigin origin_;
  std::vector<Placement> placements_;
};

class TorchSaveTensorFileWriter final : public TensorFileWriter {
 public:
  TorchSaveTensorFileWriter(const std::string& path, const StoredLayout& layout)
      : output_(path), layout_(layout), zip_(output_.temp_path(), path) {
    int64_t bytes = int64_t{1} << 16;  // the pickle, the records and the zip's directory
    for (const auto& info : layout_) bytes += info.nbytes() + 256;  // header, padding, entry
    output_.reserve(bytes);
    zip_.add(std::string(kArchiveName) + "data.pkl", state_dict_pickle(layout_));
    zip_.add(std::string(kArchiveName) + "byteorder", "little");
  }

  void write(size_t index, const void* bytes) override {
    if (index != next_) throw std::logic_error("tensors written out of layout order");
    const uint64_t n = static_cast<uint64_t>(layout_[index].nbytes());
    zip_.begin_entry(std::string(kArchiveName) + "data/" + std::to_string(index), n);
    zip_.write(bytes, n);
    zip_.end_entry();
    ++next_;
  }

  void commit(const SnapshotMeta& meta) override {
    if (next_ != layout_.size()) throw std::logic_error("commit before all tensors were written");
    zip_.add(std::string(kArchiveName) + kMetaRecord, meta_to_json(meta).dump(2));
    zip_.add(std::string(kArchiveName) + "version", "3\n");
    zip_.finish();
    output_.commit();
  }

 private:
  AtomicOutput output_;
  StoredLayout layout_;
  ZipWriter zip_;
  size_t next_ = 0;
};

}  // namespace

std::unique_ptr<TensorFileReader> open_torch_save_tensor_file(const std::string& path,
                                                              const std::string& state_dict_key) {
  return std::make_unique<TorchSaveTensorFileReader>(path, state_dict_key);
}

std::unique_ptr<TensorFileWriter> create_torch_save_tensor_file(const std::string& path,
                                                                const StoredLayout& layout) {
  return std::make_unique<TorchSaveTensorFileWriter>(path, layout);
}

}  // namespace swa
