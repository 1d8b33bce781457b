#include "formats/torchscript_archive.h"

#include <map>
#include <set>

#include "formats/input_error.h"
#include "formats/restricted_unpickler.h"
#include "formats/zip_archive.h"

namespace swa {
namespace {

constexpr uint64_t kMaxArchivePickleBytes = uint64_t{1} << 30;
constexpr uint64_t kMaxCodeBytes = uint64_t{64} << 20;

// The quoted names of `line` ("  __parameters__ = ["weight", "bias", ]").
std::vector<std::string> quoted_names(const std::string& line) {
  std::vector<std::string> out;
  for (size_t at = line.find('"'); at != std::string::npos; at = line.find('"', at + 1)) {
    const size_t end = line.find('"', at + 1);
    if (end == std::string::npos) break;
    out.push_back(line.substr(at + 1, end - at - 1));
    at = end;
  }
  return out;
}

class ArchiveReader {
 public:
  explicit ArchiveReader(const std::string& path) : path_(path), zip_(path) {
    for (const auto& e : zip_.entries()) {
      const size_t at = e.name.find("/data.pkl");
      if (at != std::string::npos && at + 9 == e.name.size() && e.name.find('/') == at) {
        prefix_ = e.name.substr(0, at + 1);
        pickle_ = &e;
      }
    }
    if (!pickle_ || !zip_.find(prefix_ + "constants.pkl")) {
      throw InputError(path,
                       "not a TorchScript file (torch.jit.save's archive: data.pkl, "
                       "constants.pkl and code/)");
    }
  }

  TorchScriptArchive read() {
    const std::string pkl = zip_.read(*pickle_, kMaxArchivePickleBytes);
    PickleDocument doc;
    const PickleValue* root = unpickle(pkl.data(), pkl.size(), doc, path_, "data.pkl").value;
    if (root->kind != PickleValue::Kind::kObject || root->text.rfind("__torch__.", 0) != 0)
      throw InputError(path_, "data.pkl holds a " + root->describe() + ", not a module");
    TorchScriptArchive out;
    out.type_name = root->text;
    walk(*root, "", out);
    return out;
  }

 private:
  struct ClassTensors {
    std::set<std::string> parameters, buffers;
  };

  // __torch__.a.b.C -> code/__torch__/a/b.py, class C; __torch__.C -> code/__torch__.py.
  const ClassTensors& class_tensors(const std::string& qualified) {
    auto it = classes_.find(qualified);
    if (it != classes_.end()) return it->second;
    const size_t dot = qualified.rfind('.');
    std::string file = qualified.substr(0, dot), name = qualified.substr(dot + 1);
    for (char& c : file) {
      if (c == '.') c = '/';
    }
    ClassTensors found;
    if (const ZipEntry* code = zip_.find(prefix_ + "code/" + file + ".py")) {
      const std::string text = zip_.read(*code, kMaxCodeBytes);
      const size_t at = text.find("class " + name + "(");
      const size_t end = at == std::string::npos ? at : text.find("\nclass ", at + 1);
      const std::string body = at == std::string::npos ? "" : text.substr(at, end - at);
      for (size_t line = 0; line < body.size();) {
        const size_t next = std::min(body.find('\n', line), body.size());
        const std::string l = body.substr(line, next - line);
        if (l.find("__parameters__ = [") != std::string::npos)
          for (auto& n : quoted_names(l)) found.parameters.insert(n);
        if (l.find("__buffers__ = [") != std::string::npos)
          for (auto& n : quoted_names(l)) found.buffers.insert(n);
        line = next + 1;
      }
    }
    return classes_.emplace(qualified, std::move(found)).first->second;
  }

  void walk(const PickleValue& module, const std::string& prefix, TorchScriptArchive& out) {
    const ClassTensors& declared = class_tensors(module.text);
    for (const auto& [key, value] : module.entries) {
      if (key->kind != PickleValue::Kind::kString) continue;
      const std::string name = prefix + key->text;
      if (value->kind == PickleValue::Kind::kTensor) {
        const bool parameter = declared.parameters.count(key->text) > 0;
        if (!parameter && !declared.buffers.count(key->text)) continue;  // a plain attribute
        ArchiveTensor t;
        t.tensor.key = name;
        t.tensor.type = value->tensor->type;
        t.tensor.shape = value->tensor->shape;
        t.parameter = parameter;
        t.owner_class = module.text;
        out.tensors.push_back(std::move(t));
      } else if (value->kind == PickleValue::Kind::kObject &&
                 value->text.rfind("__torch__.", 0) == 0) {
        walk(*value, name + ".", out);
      }
    }
  }

  std::string path_;
  ZipArchive zip_;
  std::string prefix_;
  const ZipEntry* pickle_ = nullptr;
  std::map<std::string, ClassTensors> classes_;
};

}  // namespace

TorchScriptArchive read_torchscript_archive(const std::string& path) {
  return ArchiveReader(path).read();
}

}  // namespace swa
