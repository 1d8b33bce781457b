// Reading maps the file and unpickles data.pkl with storages pointing into the mapping, which
// tells where each tensor's bytes lie; the mapping is dropped after opening and tensors are then
// read with pread, so reading many files touches no pages of their mappings.
// Writing streams the zip archive to disk (torch::pickle_save would build it in memory first)
// and adds a record swa_meta.json, which torch.load ignores, for the snapshot's metadata.
#include "formats/torch_pickle_tensor_file.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/torch.h>
#include <sys/mman.h>
#include <torch/csrc/jit/api/compilation_unit.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/pickler.h>
#include <torch/csrc/jit/serialization/unpickler.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "formats/atomic_output.h"
#include "formats/input_error.h"
#include "formats/readable_file.h"
#include "formats/torch_element_type.h"

namespace swa {
namespace {

constexpr const char* kMetaRecord = "swa_meta.json";
constexpr const char* kResaveHint =
    "re-save it from Python as a plain dict: torch.save(dict(model.state_dict()), PATH)";

// A read-only private mapping of a whole open file.
class MappedFile {
 public:
  explicit MappedFile(const ReadableFile& file) : size_(static_cast<size_t>(file.size())) {
    if (size_ == 0) return;
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, file.descriptor(), 0);
    if (p == MAP_FAILED) throw InputError(file.path(), std::string("cannot map: ") + std::strerror(errno));
    data_ = static_cast<char*>(p);
  }
  ~MappedFile() {
    if (data_) ::munmap(data_, size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const char* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
};

bool is_zip(const MappedFile& f) { return f.size() >= 4 && std::memcmp(f.data(), "PK\x03\x04", 4) == 0; }

// Unwraps {"state_dict": …}, {"model": …} and AveragedModel/DDP's "module." prefix.
c10::impl::GenericDict unwrap_state_dict(const c10::IValue& root, const std::string& path) {
  if (!root.isGenericDict()) {
    throw InputError(path, std::string("expected a dict of tensors, found ") +
                               root.tagKind() + "; " + kResaveHint);
  }
  auto dict = root.toGenericDict();
  for (const char* wrapper : {"state_dict", "model", "model_state_dict"}) {
    auto it = dict.find(c10::IValue(std::string(wrapper)));
    if (it != dict.end() && it->value().isGenericDict()) return it->value().toGenericDict();
  }
  return dict;
}

class TorchPickleTensorFileReader final : public TensorFileReader {
 public:
  explicit TorchPickleTensorFileReader(const std::string& path)
      : TensorFileReader(path), bytes_(path), file_(std::make_unique<MappedFile>(bytes_)) {
    if (!is_zip(*file_)) {
      throw InputError(path, std::string("not a PyTorch zip archive (a legacy torch.save format "
                                         "from torch<1.6, or not a .pt file at all); ") +
                                 kResaveHint + " with torch>=1.6");
    }
    std::unique_ptr<caffe2::serialize::PyTorchStreamReader> zip;
    try {
      zip = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
    } catch (const c10::Error& e) {
      throw InputError(path, std::string("corrupt or truncated PyTorch archive: ") +
                                 e.what_without_backtrace());
    }
    if (!zip->hasRecord("data.pkl")) {
      throw InputError(path, "PyTorch archive has no data.pkl: it is a TorchScript module or "
                             "another kind of archive, not a saved state_dict; " +
                                 std::string(kResaveHint));
    }
    c10::IValue root = unpickle(*zip);
    auto dict = unwrap_state_dict(root, path);
    for (const auto& entry : dict) {
      if (!entry.key().isString()) continue;
      std::string key = entry.key().toStringRef();
      if (key == "n_averaged") continue;  // AveragedModel's counter, not a model tensor
      if (key.rfind("module.", 0) == 0) key = key.substr(7);
      if (!entry.value().isTensor()) {
        throw InputError(path, key, std::string("value is a ") + entry.value().tagKind() +
                                        ", expected a tensor");
      }
      torch::Tensor t = entry.value().toTensor();
      const char* end = static_cast<const char*>(t.storage().data()) + t.storage().nbytes();
      if (end > file_->data() + file_->size()) {
        throw InputError(path, key, "data runs past the end of the file (truncated?)");
      }
      layout_.push_back({key, to_element_type(t.scalar_type(), path, key), t.sizes().vec()});
      if (t.is_contiguous()) {
        offsets_.push_back(static_cast<uint64_t>(static_cast<const char*>(t.data_ptr()) - file_->data()));
        copies_.emplace_back();
      } else {  // a strided view (rare in state_dicts): kept as a contiguous copy
        offsets_.push_back(0);
        copies_.push_back(t.contiguous().clone());
      }
    }
    if (layout_.empty()) throw InputError(path, std::string("contains no tensors; ") + kResaveHint);
    if (zip->hasRecord(kMetaRecord)) {
      auto [ptr, size] = zip->getRecord(kMetaRecord);
      const char* text = static_cast<const char*>(ptr.get());
      try {
        meta_ = meta_from_json(nlohmann::json::parse(text, text + size), path);
      } catch (const nlohmann::json::exception& e) {
        throw InputError(path, std::string("swa_meta.json is not valid JSON: ") + e.what());
      }
    }
    zip.reset();
    file_.reset();
  }

  void read_range(size_t i, int64_t first, int64_t n, void* dst, Fletcher32&) const override {
    if (first < 0 || n < 0 || first + n > layout_.at(i).nbytes()) throw std::logic_error("read_range outside the tensor");
    if (copies_[i].defined()) {
      std::memcpy(dst, static_cast<const char*>(copies_[i].data_ptr()) + first, static_cast<size_t>(n));
      return;
    }
    bytes_.read_exact(dst, static_cast<uint64_t>(n), offsets_[i] + static_cast<uint64_t>(first),
                      "tensor '" + layout_[i].key + "'");
  }

 private:
  c10::IValue unpickle(caffe2::serialize::PyTorchStreamReader& zip) {
    auto [pickle_ptr, pickle_size] = zip.getRecord("data.pkl");
    const char* pickle = static_cast<const char*>(pickle_ptr.get());
    size_t pos = 0;
    auto reader = [&](char* buf, size_t n) {
      n = std::min(n, pickle_size - pos);
      std::memcpy(buf, pickle + pos, n);
      pos += n;
      return n;
    };
    // Storages point into the mapping: nothing is copied here.
    auto read_record = [&](const std::string& name) {
      const std::string record = "data/" + name;
      size_t offset = 0;
      try {
        offset = zip.getRecordOffset(record);
      } catch (const c10::Error& e) {
        throw InputError(path_, "missing or unreadable tensor record " + record + ": " +
                                    e.what_without_backtrace());
      }
      if (offset > file_->size()) {
        throw InputError(path_, "tensor record " + record + " lies past the end of the file");
      }
      void* p = const_cast<char*>(file_->data() + offset);
      return at::DataPtr(p, p, [](void*) {}, at::kCPU);
    };
    // Container type tags ("Dict[str, Tensor]") are parsed; TorchScript classes are refused.
    auto cu = std::make_shared<torch::jit::CompilationUnit>();
    auto type_tags = [this, cu](const c10::QualifiedName& name) -> c10::StrongTypePtr {
      if (name.qualifiedName().rfind("__torch__", 0) == 0) {
        throw InputError(path_, "contains a TorchScript class " + name.qualifiedName() + "; " +
                                    kResaveHint);
      }
      return c10::StrongTypePtr(cu, torch::jit::Unpickler::defaultTypeParser(name.qualifiedName()));
    };
    auto no_objects = [this](const at::StrongTypePtr&, c10::IValue) -> c10::intrusive_ptr<c10::ivalue::Object> {
      throw InputError(path_, std::string("contains a Python object; ") + kResaveHint);
    };
    torch::jit::Unpickler unpickler(reader, type_tags, no_objects, read_record, at::Device(at::kCPU));
    unpickler.set_version(zip.version());
    try {
      return unpickler.parse_ivalue();
    } catch (const InputError&) {
      throw;
    } catch (const std::exception& e) {
      const std::string what = e.what();
      // The jit unpickler turns OrderedDict() into None (it expects one only as a tensor's
      // backward hooks), so filling an OrderedDict fails on None.
      if (what.find("Expected GenericDict but got None") != std::string::npos) {
        throw InputError(path_, std::string("holds a collections.OrderedDict (what "
                                            "model.state_dict() returns), which LibTorch 1.13 "
                                            "cannot unpickle; ") + kResaveHint);
      }
      // Python pickles a one-entry dict with SETITEM, an opcode LibTorch 1.13 does not know.
      if (what.find("Unknown opcode for unpickling at 0x73") != std::string::npos) {
        throw InputError(path_, std::string("holds a dict with a single entry (pickle opcode "
                                            "SETITEM), which LibTorch 1.13 cannot unpickle; ") +
                                    kResaveHint);
      }
      throw InputError(path_, "cannot unpickle data.pkl: " + what.substr(0, what.find('\n')));
    }
  }

  ReadableFile bytes_;                // tensors are read here, with pread
  std::unique_ptr<MappedFile> file_;  // while opening
  std::vector<uint64_t> offsets_;       // of each tensor's first byte in the file
  std::vector<torch::Tensor> copies_;   // defined for strided tensors only
};

class TorchPickleTensorFileWriter final : public TensorFileWriter {
 public:
  TorchPickleTensorFileWriter(const std::string& path, const StoredLayout& layout)
      : output_(path), layout_(layout) {}

  void write(size_t index, const void* bytes) override {
    if (index != next_) throw std::logic_error("tensors written out of layout order");
    const StoredTensor& info = layout_[next_++];
    // A tensor whose storage holds exactly its own elements, so the archive stores no extra bytes.
    torch::Tensor t = torch::empty(info.shape, torch::TensorOptions().dtype(to_scalar_type(info.type)));
    std::memcpy(t.data_ptr(), bytes, static_cast<size_t>(info.nbytes()));
    state_.insert(info.key, t);
  }

  void commit(const SnapshotMeta& meta) override {
    if (next_ != layout_.size()) throw std::logic_error("commit before all tensors were written");
    std::vector<char> pickle;
    torch::jit::Pickler pickler(
        [&](const char* buf, size_t n) { pickle.insert(pickle.end(), buf, buf + n); });
    pickler.protocol();
    pickler.pushIValue(c10::IValue(state_));
    pickler.stop();

    std::unique_ptr<FILE, int (*)(FILE*)> out(std::fopen(output_.temp_path().c_str(), "wb"),
                                              &std::fclose);
    if (!out) fail(std::strerror(errno));
    bool write_failed = false;
    try {
      caffe2::serialize::PyTorchStreamWriter zip([&](const void* buf, size_t n) -> size_t {
        size_t written = std::fwrite(buf, 1, n, out.get());
        if (written != n) write_failed = true;
        return written;
      });
      torch::jit::writeArchiveAndTensors("data", pickle.data(), pickle.size(), pickler.tensorData(),
                                         zip);
      const std::string meta_text = meta_to_json(meta).dump(2);
      zip.writeRecord(kMetaRecord, meta_text.data(), meta_text.size());
      zip.writeEndOfFile();
    } catch (const c10::Error& e) {
      fail(write_failed ? std::strerror(errno) : e.what_without_backtrace());
    }
    if (write_failed || std::fflush(out.get()) != 0) fail(std::strerror(errno));
    if (std::fclose(out.release()) != 0) fail(std::strerror(errno));
    output_.commit();
  }

 private:
  [[noreturn]] void fail(const std::string& why) {
    throw InputError(output_.final_path(), "cannot write PyTorch archive: " + why);
  }

  AtomicOutput output_;
  StoredLayout layout_;
  c10::Dict<std::string, at::Tensor> state_;
  size_t next_ = 0;
};

}  // namespace

std::unique_ptr<TensorFileReader> open_torch_pickle_tensor_file(const std::string& path) {
  return std::make_unique<TorchPickleTensorFileReader>(path);
}

std::unique_ptr<TensorFileWriter> create_torch_pickle_tensor_file(const std::string& path,
                                                                  const StoredLayout& layout) {
  return std::make_unique<TorchPickleTensorFileWriter>(path, layout);
}

}  // namespace swa
