// What the restricted unpickler (formats/restricted_unpickler.h) builds from a pickle: plain data
// (None, bool, int, float, str, bytes, list, tuple, dict in insertion order), tensors that point
// into storages, and opaque placeholders for every other class or function the pickle names.
// Values live in a PickleDocument's arena and point at each other with plain pointers: a cyclic
// or deeply nested pickle costs no recursion and leaks nothing when the document goes.
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "formats/element_type.h"

namespace swa {

// A storage named by a pickle's persistent id: ("storage", torch.FloatStorage, "3", "cpu", 1000).
struct StorageRef {
  std::string key;  // zip entry data/<key>, or the legacy format's storage key
  ElementType type = ElementType::kUInt8;
  bool untyped = false;     // torch.UntypedStorage: numel counts bytes, the tensor names the dtype
  int64_t numel = 0;        // elements of `type` (bytes when untyped)
  int64_t base_offset = 0;  // legacy views of a larger storage: first element of the view
};

// torch._utils._rebuild_tensor_v2/_v3: a strided view of a storage.
struct TensorRef {
  const StorageRef* storage = nullptr;
  ElementType type = ElementType::kFloat32;
  int64_t offset = 0;  // in elements of `type`
  std::vector<int64_t> shape, stride;
};

struct PickleValue {
  enum class Kind {
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kBytes,
    kList,
    kTuple,
    kDict,
    kGlobal,  // a class or function named by the pickle and never called ("torch.FloatStorage")
    kObject,  // what calling or instantiating a global would have built: never built, a placeholder
    kDtype,   // torch.float32, ...
    kStorage,
    kTensor
  };
  Kind kind = Kind::kNone;
  bool boolean = false;
  int64_t integer = 0;
  bool big_integer = false;  // an int outside int64; `text` holds its little-endian bytes
  double real = 0;
  std::string text;  // str and bytes; for kGlobal and kObject the global's "module.name"
  ElementType dtype = ElementType::kFloat32;
  std::vector<PickleValue*> items;                             // list, tuple
  std::vector<std::pair<PickleValue*, PickleValue*>> entries;  // dict
  StorageRef* storage = nullptr;
  TensorRef* tensor = nullptr;
  int depth = 0;  // containers nested inside, as far as the unpickler saw them attached

  // The dict entry under a str key, or nullptr.
  PickleValue* find(const std::string& key) const;
  // "tensor", "dict", "int", "argparse.Namespace object", ...: for messages.
  std::string describe() const;
};

// Owns every value, storage and tensor of one unpickled file.
class PickleDocument {
 public:
  PickleValue* make(PickleValue::Kind kind) {
    values_.emplace_back();
    values_.back().kind = kind;
    return &values_.back();
  }
  StorageRef* make_storage() {
    storages_.emplace_back();
    return &storages_.back();
  }
  TensorRef* make_tensor() {
    tensors_.emplace_back();
    return &tensors_.back();
  }
  const std::deque<StorageRef>& storages() const { return storages_; }

 private:
  std::deque<PickleValue> values_;
  std::deque<StorageRef> storages_;
  std::deque<TensorRef> tensors_;
};

}  // namespace swa
