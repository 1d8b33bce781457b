#include "formats/state_dict_pickle.h"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace swa {
namespace {

const char* storage_class(ElementType t) {
  switch (t) {
    case ElementType::kFloat32:
      return "FloatStorage";
    case ElementType::kFloat64:
      return "DoubleStorage";
    case ElementType::kFloat16:
      return "HalfStorage";
    case ElementType::kBFloat16:
      return "BFloat16Storage";
    case ElementType::kInt64:
      return "LongStorage";
    case ElementType::kInt32:
      return "IntStorage";
    case ElementType::kInt16:
      return "ShortStorage";
    case ElementType::kInt8:
      return "CharStorage";
    case ElementType::kUInt8:
      return "ByteStorage";
    case ElementType::kBool:
      return "BoolStorage";
  }
  throw std::logic_error("element type without a storage class");
}

class Pickler {
 public:
  void op(char c) { out_.push_back(c); }
  void raw(const std::string& s) { out_ += s; }
  void little_endian(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void str(const std::string& s) {
    op('X');  // BINUNICODE
    little_endian(s.size(), 4);
    raw(s);
  }
  void integer(int64_t v) {
    if (v >= 0 && v < 256) {
      op('K');
      little_endian(static_cast<uint64_t>(v), 1);
    } else if (v >= 0 && v < 65536) {
      op('M');
      little_endian(static_cast<uint64_t>(v), 2);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      op('J');
      little_endian(static_cast<uint64_t>(static_cast<uint32_t>(static_cast<int32_t>(v))), 4);
    } else {
      op('\x8a');  // LONG1, 8 bytes two's complement
      little_endian(8, 1);
      little_endian(static_cast<uint64_t>(v), 8);
    }
  }
  void global(const std::string& module, const std::string& name) {
    raw("c" + module + "\n" + name + "\n");
  }
  void int_tuple(const std::vector<int64_t>& values) {
    op('(');  // MARK
    for (int64_t v : values) integer(v);
    op('t');  // TUPLE
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

std::string state_dict_pickle(const StoredLayout& layout) {
  Pickler p;
  p.raw("\x80\x02");  // PROTO 2
  p.op('}');          // EMPTY_DICT
  for (size_t i = 0; i < layout.size(); ++i) {
    if (i % 1000 == 0) p.op('(');  // MARK: items go in batches, as Python's pickler sends them
    const StoredTensor& t = layout[i];
    p.str(t.key);
    p.global("torch._utils", "_rebuild_tensor_v2");
    p.op('(');
    p.op('(');  // the persistent id
    p.str("storage");
    p.global("torch", storage_class(t.type));
    p.str(std::to_string(i));
    p.str("cpu");
    p.integer(t.numel());
    p.op('t');
    p.op('Q');  // BINPERSID
    p.integer(0);
    p.int_tuple(t.shape);
    std::vector<int64_t> stride(t.shape.size());
    int64_t step = 1;
    for (size_t d = t.shape.size(); d-- > 0;) {
      stride[d] = step;
      step *= std::max<int64_t>(t.shape[d], 1);
    }
    p.int_tuple(stride);
    p.op('\x89');  // NEWFALSE: requires_grad
    p.global("collections", "OrderedDict");
    p.op(')');  // EMPTY_TUPLE
    p.op('R');  // REDUCE: backward hooks, an empty OrderedDict
    p.op('t');
    p.op('R');                                                 // REDUCE: the tensor
    if (i % 1000 == 999 || i + 1 == layout.size()) p.op('u');  // SETITEMS
  }
  p.op('.');  // STOP
  return p.take();
}

}  // namespace swa
