#include "formats/safetensors_tensor_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "formats/atomic_output.h"
#include "formats/input_error.h"
#include "formats/readable_file.h"

namespace swa {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100u << 20;
constexpr size_t kMetaReserveBytes = 64u << 10;  // room for metadata decided at commit()
constexpr const char* kMetaKey = "swa_meta";

const std::pair<const char*, ElementType> kDtypes[] = {
    {"F64", ElementType::kFloat64}, {"F32", ElementType::kFloat32},
    {"F16", ElementType::kFloat16}, {"BF16", ElementType::kBFloat16},
    {"I64", ElementType::kInt64},   {"I32", ElementType::kInt32},
    {"I16", ElementType::kInt16},   {"I8", ElementType::kInt8},
    {"U8", ElementType::kUInt8},    {"BOOL", ElementType::kBool}};

const char* dtype_code(ElementType t) {
  for (const auto& [code, type] : kDtypes) {
    if (type == t) return code;
  }
  throw std::logic_error("element type without a safetensors code");
}

void write_exact(int fd, const void* buf, size_t n, uint64_t offset, const std::string& path) {
  auto* p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw InputError(path, std::string("cannot write: ") + std::strerror(errno));
    p += w;
    n -= static_cast<size_t>(w);
    offset += static_cast<uint64_t>(w);
  }
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release_and_close() {
    int r = ::close(fd_);
    fd_ = -1;
    return r;
  }

 private:
  int fd_;
};

class SafetensorsTensorFileReader final : public TensorFileReader {
 public:
  explicit SafetensorsTensorFileReader(const std::string& path)
      : TensorFileReader(path), file_(path) {
    const uint64_t file_size = file_.size();
    uint64_t header_size = 0;
    if (file_size < 8) throw InputError(path, "too short to be a safetensors file");
    file_.read_exact(&header_size, 8, 0, "header length");
    if (header_size > kMaxHeaderBytes || 8 + header_size > file_size) {
      throw InputError(path, "not a safetensors file: header length " +
                                 std::to_string(header_size) + " does not fit a " +
                                 std::to_string(file_size) + "-byte file");
    }
    std::string text(header_size, '\0');
    file_.read_exact(text.data(), header_size, 8, "header");
    const nlohmann::ordered_json header = parse_header(text);
    data_start_ = 8 + header_size;
    parse_entries(header, file_size - data_start_);
  }

  void read_range(size_t i, int64_t first, int64_t n, void* dst, SegmentChecksum&) const override {
    if (first < 0 || n < 0 || first + n > layout_.at(i).nbytes())
      throw std::logic_error("read_range outside the tensor");
    file_.read_exact(dst, static_cast<uint64_t>(n),
                     data_start_ + offsets_[i] + static_cast<uint64_t>(first),
                     "tensor '" + layout_[i].key + "'");
  }

 private:
  // The header as the reference implementation takes it: one JSON object with no key twice (at
  // any depth), then nothing but spaces (0x20) up to its stated length.
  nlohmann::ordered_json parse_header(std::string text) const {
    const size_t end = text.find_last_not_of(' ');
    if (text.empty() || text[0] != '{' || end == std::string::npos || text[end] != '}') {
      throw InputError(path_,
                       "not a safetensors file: the header must be one JSON object, padded "
                       "with spaces only");
    }
    text.resize(end + 1);
    std::vector<std::set<std::string>> open_objects;
    std::string repeated;
    auto check_keys = [&](int /*depth*/, nlohmann::json::parse_event_t event,
                          nlohmann::ordered_json& parsed) {
      using Event = nlohmann::json::parse_event_t;
      if (event == Event::object_start) open_objects.emplace_back();
      if (event == Event::object_end && !open_objects.empty()) open_objects.pop_back();
      if (event == Event::key && !open_objects.empty() && repeated.empty() &&
          !open_objects.back().insert(parsed.get<std::string>()).second) {
        repeated = parsed.get<std::string>();
      }
      return true;
    };
    nlohmann::ordered_json header;
    try {
      header = nlohmann::ordered_json::parse(text, check_keys);
    } catch (const nlohmann::json::exception& e) {
      throw InputError(path_,
                       std::string("not a safetensors file: header is not JSON: ") + e.what());
    }
    if (!repeated.empty()) {
      throw InputError(path_, "the safetensors header names '" + repeated +
                                  "' twice (which one holds the data is anyone's guess)");
    }
    return header;
  }

  void read_metadata(const nlohmann::ordered_json& value) {
    if (!value.is_object()) throw InputError(path_, "__metadata__ must map strings to strings");
    for (const auto& [k, v] : value.items()) {
      if (!v.is_string())
        throw InputError(path_, "__metadata__ '" + k +
                                    "' is not a string (it must map strings to "
                                    "strings)");
    }
    if (!value.contains(kMetaKey)) return;
    try {
      meta_ = meta_from_json(nlohmann::json::parse(value.at(kMetaKey).get<std::string>()), path_);
    } catch (const nlohmann::json::exception& e) {
      throw InputError(path_, std::string("__metadata__.swa_meta is not JSON: ") + e.what());
    }
  }

  struct Entry {
    StoredTensor info;
    uint64_t begin, end;
  };

  // One tensor's entry: exactly dtype, shape and data_offsets, consistent with each other.
  Entry read_entry(const std::string& key, const nlohmann::ordered_json& value,
                   uint64_t data_size) const {
    if (!value.is_object() || value.size() != 3 || !value.contains("dtype") ||
        !value.contains("shape") || !value.contains("data_offsets")) {
      throw InputError(path_, key, "header entry must hold exactly dtype, shape and data_offsets");
    }
    Entry e;
    e.info.key = key;
    try {
      const std::string code = value.at("dtype").get<std::string>();
      auto it = std::find_if(std::begin(kDtypes), std::end(kDtypes),
                             [&](const auto& d) { return code == d.first; });
      if (it == std::end(kDtypes)) throw InputError(path_, key, "unsupported dtype " + code);
      e.info.type = it->second;
      for (const auto& d : value.at("shape")) {
        if (!d.is_number_unsigned())
          throw InputError(path_, key, "impossible shape: a dimension of " + d.dump());
        e.info.shape.push_back(d.get<int64_t>());
      }
      const auto& offsets = value.at("data_offsets");
      if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
          !offsets[1].is_number_unsigned()) {
        throw InputError(path_, key, "data_offsets must be two non-negative integers");
      }
      e.begin = offsets[0].get<uint64_t>();
      e.end = offsets[1].get<uint64_t>();
    } catch (const nlohmann::json::exception& ex) {
      throw InputError(path_, key, std::string("malformed header entry: ") + ex.what());
    }
    check_tensor_size(path_, e.info,
                      static_cast<int64_t>(
                          std::min<uint64_t>(data_size, static_cast<uint64_t>(kMaxTensorBytes))));
    if (e.end < e.begin || e.end - e.begin != static_cast<uint64_t>(e.info.nbytes())) {
      throw InputError(path_, key, "data_offsets do not match dtype and shape");
    }
    if (e.end > data_size) {
      throw InputError(path_, key, "data runs past the end of the file (truncated?)");
    }
    return e;
  }

  void parse_entries(const nlohmann::ordered_json& header, uint64_t data_size) {
    std::vector<Entry> entries;
    for (const auto& [key, value] : header.items()) {
      if (key == "__metadata__") {
        read_metadata(value);
      } else {
        entries.push_back(read_entry(key, value, data_size));
      }
    }
    // Keys in data order: for files this toolkit wrote, that is state_dict order.
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      return a.begin < b.begin || (a.begin == b.begin && a.end < b.end);
    });
    // As the reference requires: tensors back to back from offset 0, nothing between or after.
    uint64_t expected = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
      const Entry& e = entries[i];
      if (e.begin < expected) {
        throw InputError(path_, e.info.key,
                         "data overlaps tensor '" + entries[i - 1].info.key + "'");
      }
      if (e.begin > expected) {
        throw InputError(path_, e.info.key,
                         "data starts at byte " + std::to_string(e.begin) + ", leaving " +
                             std::to_string(e.begin - expected) +
                             " bytes that no tensor holds before it");
      }
      expected = e.end;
    }
    if (expected != data_size) {
      throw InputError(path_, std::to_string(data_size - expected) +
                                  " bytes after the last tensor that no tensor holds (the file "
                                  "was appended to, or its header is wrong)");
    }
    for (auto& e : entries) {
      layout_.push_back(std::move(e.info));
      offsets_.push_back(e.begin);
    }
  }

  ReadableFile file_;
  uint64_t data_start_ = 0;
  std::vector<uint64_t> offsets_;
};

class SafetensorsTensorFileWriter final : public TensorFileWriter {
 public:
  SafetensorsTensorFileWriter(const std::string& path, const StoredLayout& layout)
      : output_(path),
        layout_(layout),
        fd_(::open(output_.temp_path().c_str(), O_WRONLY | O_TRUNC)) {
    if (fd_.get() < 0)
      throw InputError(path, std::string("cannot create: ") + std::strerror(errno));
    uint64_t offset = 0;
    for (const auto& info : layout_) {
      offsets_.push_back(offset);
      offset += static_cast<uint64_t>(info.nbytes());
    }
    const size_t bare = header_text(nlohmann::json::object()).size();
    reserved_ = (bare + kMetaReserveBytes + 7) / 8 * 8;  // data stays 8-byte aligned
    output_.reserve(static_cast<int64_t>(8 + reserved_ + offset));
  }

  void write(size_t index, const void* bytes) override {
    if (index != next_) throw std::logic_error("tensors written out of layout order");
    write_exact(fd_.get(), bytes, static_cast<size_t>(layout_[index].nbytes()),
                8 + reserved_ + offsets_[index], output_.final_path());
    ++next_;
  }

  void commit(const SnapshotMeta& meta) override {
    if (next_ != layout_.size()) throw std::logic_error("commit before all tensors were written");
    std::string header = header_text(meta_to_json(meta));
    if (header.size() > reserved_) {
      throw InputError(output_.final_path(), "metadata too large for the safetensors header (" +
                                                 std::to_string(header.size()) + " bytes)");
    }
    header.resize(reserved_, ' ');  // the format allows trailing spaces in the header
    const uint64_t size = reserved_;
    write_exact(fd_.get(), &size, 8, 0, output_.final_path());
    write_exact(fd_.get(), header.data(), header.size(), 8, output_.final_path());
    if (fd_.release_and_close() != 0) {
      throw InputError(output_.final_path(), std::string("cannot write: ") + std::strerror(errno));
    }
    output_.commit();
  }

 private:
  std::string header_text(const nlohmann::json& meta) const {
    nlohmann::ordered_json header;
    header["__metadata__"] = {{"format", "pt"}, {kMetaKey, meta.dump()}};
    for (size_t i = 0; i < layout_.size(); ++i) {
      const auto& info = layout_[i];
      header[info.key] = {
          {"dtype", dtype_code(info.type)},
          {"shape", info.shape},
          {"data_offsets", {offsets_[i], offsets_[i] + static_cast<uint64_t>(info.nbytes())}}};
    }
    return header.dump();
  }

  AtomicOutput output_;
  StoredLayout layout_;
  Fd fd_;
  std::vector<uint64_t> offsets_;
  size_t reserved_ = 0;
  size_t next_ = 0;
};

}  // namespace

std::unique_ptr<TensorFileReader> open_safetensors_tensor_file(const std::string& path) {
  return std::make_unique<SafetensorsTensorFileReader>(path);
}

std::unique_ptr<TensorFileWriter> create_safetensors_tensor_file(const std::string& path,
                                                                 const StoredLayout& layout) {
  return std::make_unique<SafetensorsTensorFileWriter>(path, layout);
}

}  // namespace swa
