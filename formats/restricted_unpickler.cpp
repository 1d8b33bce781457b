// A stack machine over the pickle opcodes (Python's Lib/pickletools.py documents each one).
// Calls (REDUCE, NEWOBJ, OBJ, INST) are resolved against a fixed table of what they would build;
// nothing is ever imported or called. Every length is checked against the bytes left before
// anything is allocated.
#include "formats/restricted_unpickler.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

#include "formats/input_error.h"

namespace swa {

PickleValue* PickleValue::find(const std::string& key) const {
  if (kind != Kind::kDict) return nullptr;
  for (const auto& [k, v] : entries) {
    if (k->kind == Kind::kString && k->text == key) return v;
  }
  return nullptr;
}

std::string PickleValue::describe() const {
  switch (kind) {
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kBytes:
      return "bytes";
    case Kind::kList:
      return "list";
    case Kind::kTuple:
      return "tuple";
    case Kind::kDict:
      return "dict";
    case Kind::kGlobal:
      return "reference to " + text;
    case Kind::kObject:
      return text + " object";
    case Kind::kDtype:
      return "dtype";
    case Kind::kStorage:
      return "storage";
    case Kind::kTensor:
      return "tensor";
  }
  return "value";
}

namespace {

using Kind = PickleValue::Kind;

struct StorageClass {
  const char* name;
  ElementType type;
};
constexpr StorageClass kStorageClasses[] = {{"torch.FloatStorage", ElementType::kFloat32},
                                            {"torch.DoubleStorage", ElementType::kFloat64},
                                            {"torch.HalfStorage", ElementType::kFloat16},
                                            {"torch.BFloat16Storage", ElementType::kBFloat16},
                                            {"torch.LongStorage", ElementType::kInt64},
                                            {"torch.IntStorage", ElementType::kInt32},
                                            {"torch.ShortStorage", ElementType::kInt16},
                                            {"torch.CharStorage", ElementType::kInt8},
                                            {"torch.ByteStorage", ElementType::kUInt8},
                                            {"torch.BoolStorage", ElementType::kBool}};
constexpr const char* kUntypedStorageClasses[] = {
    "torch.UntypedStorage", "torch.storage.UntypedStorage", "torch.storage._UntypedStorage"};

struct DtypeName {
  const char* name;
  ElementType type;
};
constexpr DtypeName kDtypes[] = {
    {"torch.float32", ElementType::kFloat32},   {"torch.float", ElementType::kFloat32},
    {"torch.float64", ElementType::kFloat64},   {"torch.double", ElementType::kFloat64},
    {"torch.float16", ElementType::kFloat16},   {"torch.half", ElementType::kFloat16},
    {"torch.bfloat16", ElementType::kBFloat16}, {"torch.int64", ElementType::kInt64},
    {"torch.long", ElementType::kInt64},        {"torch.int32", ElementType::kInt32},
    {"torch.int", ElementType::kInt32},         {"torch.int16", ElementType::kInt16},
    {"torch.short", ElementType::kInt16},       {"torch.int8", ElementType::kInt8},
    {"torch.uint8", ElementType::kUInt8},       {"torch.bool", ElementType::kBool}};

class Unpickler {
 public:
  Unpickler(const char* bytes, size_t size, PickleDocument& doc, const std::string& file,
            const std::string& what)
      : p_(reinterpret_cast<const unsigned char*>(bytes)),
        size_(size),
        doc_(doc),
        file_(file),
        what_(what) {}

  Unpickled run() {
    while (true) {
      const unsigned char op = byte();
      if (op == '.') {  // STOP
        if (stack_.size() != 1 || !marks_.empty())
          fail("ends with " + std::to_string(stack_.size()) + " values on the stack");
        return {stack_.back(), pos_};
      }
      step(op);
      if (stack_.size() + marks_.size() > kMaxPickleStack)
        fail("pushes more than " + std::to_string(kMaxPickleStack) + " values at once");
    }
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw InputError(file_, what_ + ": " + why + " (at byte " + std::to_string(pos_) + ")");
  }
  [[noreturn]] void truncated(const std::string& why) const {
    throw PickleTruncated(file_, what_ + ": " + why + " (at byte " + std::to_string(pos_) + ")");
  }

  // Reading.
  const unsigned char* take(size_t n) {
    if (n > size_ - pos_) truncated("ends early (truncated?)");
    const unsigned char* at = p_ + pos_;
    pos_ += n;
    return at;
  }
  unsigned char byte() { return *take(1); }
  uint64_t little_endian(size_t n) {
    const unsigned char* b = take(n);
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t{b[i]} << (8 * i);
    return v;
  }
  std::string bytes_of(uint64_t n) {
    if (n > size_ - pos_)
      truncated("a string of " + std::to_string(n) + " bytes runs past the end (truncated?)");
    const unsigned char* b = take(static_cast<size_t>(n));
    return std::string(reinterpret_cast<const char*>(b), static_cast<size_t>(n));
  }
  std::string line() {
    const void* nl = std::memchr(p_ + pos_, '\n', size_ - pos_);
    if (!nl) truncated("a text argument has no end of line (truncated?)");
    const size_t n = static_cast<size_t>(static_cast<const unsigned char*>(nl) - (p_ + pos_));
    std::string s = bytes_of(n);
    pos_ += 1;
    return s;
  }

  // The stack.
  void push(PickleValue* v) { stack_.push_back(v); }
  PickleValue* pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() == marks_.back()))
      fail("pops from an empty stack");
    PickleValue* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  PickleValue* top() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() == marks_.back()))
      fail("reads an empty stack");
    return stack_.back();
  }
  std::vector<PickleValue*> pop_to_mark() {
    if (marks_.empty()) fail("has no MARK to pop to");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<PickleValue*> items(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return items;
  }

  // Values.
  PickleValue* make(Kind k) { return doc_.make(k); }
  PickleValue* integer(int64_t v) {
    PickleValue* x = make(Kind::kInt);
    x->integer = v;
    return x;
  }
  PickleValue* text(Kind k, std::string s) {
    PickleValue* x = make(k);
    x->text = std::move(s);
    return x;
  }
  PickleValue* long_integer(const std::string& le) {
    PickleValue* x = make(Kind::kInt);
    if (le.size() <= 8) {
      uint64_t v = 0;
      for (size_t i = 0; i < le.size(); ++i)
        v |= uint64_t{static_cast<unsigned char>(le[i])} << (8 * i);
      if (!le.empty() && le.size() < 8 && (static_cast<unsigned char>(le.back()) & 0x80)) {
        v |= ~uint64_t{0} << (8 * le.size());  // sign-extend
      }
      x->integer = static_cast<int64_t>(v);
    } else {
      x->big_integer = true;
      x->text = le;
    }
    return x;
  }
  void attach(PickleValue* parent, const PickleValue* child) {
    if (child == parent) fail("holds a container inside itself");
    if (child->depth + 1 > parent->depth) parent->depth = child->depth + 1;
    if (parent->depth > kMaxPickleDepth)
      fail("nests deeper than " + std::to_string(kMaxPickleDepth) + " levels");
  }
  PickleValue* sequence(Kind k, std::vector<PickleValue*> items) {
    PickleValue* x = make(k);
    for (const auto* item : items) attach(x, item);
    x->items = std::move(items);
    return x;
  }
  void append(PickleValue* list, const std::vector<PickleValue*>& items) {
    if (list->kind == Kind::kObject) return;  // e.g. a set: its members are not kept
    if (list->kind != Kind::kList) fail("appends to a " + list->describe());
    for (auto* item : items) {
      attach(list, item);
      list->items.push_back(item);
    }
  }
  void set_items(PickleValue* dict, const std::vector<PickleValue*>& kv) {
    if (kv.size() % 2 != 0) fail("sets a dict item without a value");
    if (dict->kind == Kind::kObject) return;
    if (dict->kind != Kind::kDict) fail("sets items on a " + dict->describe());
    for (size_t i = 0; i < kv.size(); i += 2) {
      attach(dict, kv[i]);
      attach(dict, kv[i + 1]);
      if (kv[i]->kind == Kind::kString) {  // a repeated key replaces the value, as in Python
        auto& index = dict_index_[dict];
        auto [it, added] = index.emplace(kv[i]->text, dict->entries.size());
        if (!added) {
          dict->entries[it->second].second = kv[i + 1];
          continue;
        }
      }
      dict->entries.emplace_back(kv[i], kv[i + 1]);
    }
  }
  PickleValue* global(const std::string& module, const std::string& name) {
    const std::string full = module + "." + name;
    for (const auto& d : kDtypes) {
      if (full == d.name) {
        PickleValue* x = make(Kind::kDtype);
        x->dtype = d.type;
        x->text = full;
        return x;
      }
    }
    return text(Kind::kGlobal, full);
  }

  // Persistent ids name storages: ("storage", storage class, key, location, numel[, view]).
  PickleValue* persistent_load(PickleValue* pid) {
    if (pid->kind != Kind::kTuple || pid->items.size() < 5 ||
        pid->items[0]->kind != Kind::kString || pid->items[0]->text != "storage") {
      fail("names a persistent object that is not a storage");
    }
    const PickleValue* cls = pid->items[1];
    const PickleValue* key = pid->items[2];
    const PickleValue* numel = pid->items[4];
    if (key->kind != Kind::kString || numel->kind != Kind::kInt || numel->big_integer ||
        numel->integer < 0) {
      fail("has a malformed storage reference");
    }
    StorageRef* s = doc_.make_storage();
    s->key = key->text;
    s->numel = numel->integer;
    bool known = false;
    if (cls->kind == Kind::kGlobal) {
      for (const auto& c : kStorageClasses) {
        if (cls->text == c.name) {
          s->type = c.type;
          known = true;
        }
      }
      for (const char* u : kUntypedStorageClasses) {
        if (cls->text == u) known = s->untyped = true;
      }
    } else if (cls->kind == Kind::kDtype) {  // some writers give the dtype itself
      s->type = cls->dtype;
      known = true;
    }
    if (!known)
      return text(Kind::kObject,
                  "storage of " + (cls->kind == Kind::kGlobal ? cls->text : cls->describe()));
    if (pid->items.size() >= 6 &&
        pid->items[5]->kind == Kind::kTuple) {  // legacy view: (key, offset, size)
      const auto& view = pid->items[5]->items;
      if (view.size() != 3 || view[1]->kind != Kind::kInt || view[2]->kind != Kind::kInt ||
          view[1]->integer < 0 || view[2]->integer < 0) {
        fail("has a malformed storage view");
      }
      s->base_offset = view[1]->integer;
      s->numel = view[2]->integer;
    }
    PickleValue* x = make(Kind::kStorage);
    x->storage = s;
    return x;
  }

  static bool int_tuple(const PickleValue* v, std::vector<int64_t>& out) {
    if (v->kind != Kind::kTuple && v->kind != Kind::kList) return false;
    out.clear();
    for (const auto* d : v->items) {
      if (d->kind != Kind::kInt || d->big_integer) return false;
      out.push_back(d->integer);
    }
    return true;
  }

  // _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata]) and
  // _v3(..., hooks, dtype[, metadata]).
  PickleValue* rebuild_tensor(const std::string& fn, const std::vector<PickleValue*>& a, bool v3) {
    if (a.size() < (v3 ? 7u : 6u))
      fail(fn + " called with " + std::to_string(a.size()) + " arguments");
    if (a[0]->kind != Kind::kStorage) {  // a storage class this reader does not know
      return text(Kind::kObject, "tensor on a " + a[0]->describe());
    }
    TensorRef* t = doc_.make_tensor();
    t->storage = a[0]->storage;
    t->type = t->storage->type;
    if (v3) {
      if (a[6]->kind != Kind::kDtype)
        return text(Kind::kObject, "tensor of dtype " + a[6]->describe());
      t->type = a[6]->dtype;
    } else if (t->storage->untyped) {
      t->type = ElementType::kUInt8;
    }
    if (a[1]->kind != Kind::kInt || a[1]->big_integer || !int_tuple(a[2], t->shape) ||
        !int_tuple(a[3], t->stride) || t->shape.size() != t->stride.size()) {
      fail(fn + " called with a malformed offset, size or stride");
    }
    t->offset = a[1]->integer;
    PickleValue* x = make(Kind::kTensor);
    x->tensor = t;
    return x;
  }

  // What calling `callable(*args)` would build, without calling anything.
  PickleValue* call(PickleValue* callable, PickleValue* args) {
    const std::vector<PickleValue*> none;
    const std::vector<PickleValue*>& a =
        (args->kind == Kind::kTuple || args->kind == Kind::kList) ? args->items : none;
    if (callable->kind == Kind::kGlobal) {
      const std::string& fn = callable->text;
      if (fn == "collections.OrderedDict" || fn == "builtins.dict") {
        PickleValue* d = make(Kind::kDict);
        if (!a.empty() && (a[0]->kind == Kind::kList || a[0]->kind == Kind::kTuple)) {
          for (auto* pair : a[0]->items) {
            if (pair->kind != Kind::kTuple || pair->items.size() != 2)
              fail(fn + " built from a malformed pair");
            set_items(d, {pair->items[0], pair->items[1]});
          }
        }
        return d;
      }
      if (fn == "torch._utils._rebuild_tensor_v2") return rebuild_tensor(fn, a, false);
      if (fn == "torch._utils._rebuild_tensor_v3") return rebuild_tensor(fn, a, true);
      if (fn == "torch._utils._rebuild_parameter" ||
          fn == "torch._utils._rebuild_parameter_with_state") {
        if (a.empty()) fail(fn + " called without arguments");
        return a[0];
      }
      if (fn == "torch.Size" && !a.empty() && a[0]->kind == Kind::kTuple) return a[0];
      // LibTorch's pickler tags containers with their TorchScript type: (value, "Dict[str,
      // Tensor]").
      if (fn == "torch.jit._pickle.restore_type_tag" && !a.empty()) return a[0];
      if (fn == "_codecs.encode" && a.size() == 2 && a[0]->kind == Kind::kString) {
        return latin1_bytes(a[0]->text);
      }
      return text(Kind::kObject, fn);
    }
    return text(Kind::kObject, callable->kind == Kind::kObject
                                   ? callable->text
                                   : "call of a " + callable->describe());
  }

  // Python 3 pickles bytes at protocol 2 as _codecs.encode(str, "latin1"): the str's code points.
  PickleValue* latin1_bytes(const std::string& utf8) {
    std::string out;
    for (size_t i = 0; i < utf8.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(utf8[i]);
      if (c < 0x80) {
        out.push_back(static_cast<char>(c));
      } else if ((c & 0xe0) == 0xc0 && i + 1 < utf8.size()) {
        out.push_back(
            static_cast<char>(((c & 0x1f) << 6) | (static_cast<unsigned char>(utf8[++i]) & 0x3f)));
      } else {
        fail("_codecs.encode of a character outside latin-1");
      }
    }
    return text(Kind::kBytes, out);
  }

  void memo_put(uint64_t index) { memo_[index] = top(); }
  PickleValue* memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end())
      fail("refers to memo entry " + std::to_string(index) + ", which was never stored");
    return it->second;
  }

  int64_t text_integer(std::string s) {
    if (!s.empty() && s.back() == 'L') s.pop_back();
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || errno != 0 || *end != '\0')
      fail("has an integer '" + s.substr(0, 40) + "' this reader cannot hold");
    return v;
  }

  void step(unsigned char op) {
    switch (op) {
      case 0x80:
        byte();
        return;  // PROTO
      case 0x95:
        take(8);
        return;  // FRAME: frames are read in place
      case '(':
        marks_.push_back(stack_.size());
        return;  // MARK
      case '0':
        pop();
        return;  // POP
      case '1':
        pop_to_mark();
        return;  // POP_MARK
      case '2':
        push(top());
        return;  // DUP
      case 'N':
        push(make(Kind::kNone));
        return;
      case 0x88:
      case 0x89: {  // NEWTRUE, NEWFALSE
        PickleValue* b = make(Kind::kBool);
        b->boolean = op == 0x88;
        push(b);
        return;
      }
      case 'J':
        push(integer(static_cast<int32_t>(little_endian(4))));
        return;  // BININT
      case 'K':
        push(integer(static_cast<int64_t>(little_endian(1))));
        return;  // BININT1
      case 'M':
        push(integer(static_cast<int64_t>(little_endian(2))));
        return;    // BININT2
      case 'I': {  // INT (text; "01"/"00" are True/False)
        const std::string s = line();
        if (s == "01" || s == "00") {
          PickleValue* b = make(Kind::kBool);
          b->boolean = s == "01";
          push(b);
        } else {
          push(integer(text_integer(s)));
        }
        return;
      }
      case 'L':
        push(integer(text_integer(line())));
        return;  // LONG (text)
      case 0x8a:
        push(long_integer(bytes_of(little_endian(1))));
        return;     // LONG1
      case 0x8b: {  // LONG4
        const uint64_t n = little_endian(4);
        if (n > 64) fail("holds an integer of " + std::to_string(n) + " bytes");
        push(long_integer(bytes_of(n)));
        return;
      }
      case 'G': {  // BINFLOAT (big-endian double)
        const unsigned char* b = take(8);
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | b[i];
        PickleValue* f = make(Kind::kFloat);
        std::memcpy(&f->real, &bits, 8);
        push(f);
        return;
      }
      case 'F': {  // FLOAT (text)
        PickleValue* f = make(Kind::kFloat);
        const std::string s = line();
        f->real = std::strtod(s.c_str(), nullptr);
        push(f);
        return;
      }
      case 'X':
        push(text(Kind::kString, bytes_of(little_endian(4))));
        return;  // BINUNICODE
      case 0x8c:
        push(text(Kind::kString, bytes_of(little_endian(1))));
        return;  // SHORT_BINUNICODE
      case 0x8d:
        push(text(Kind::kString, bytes_of(little_endian(8))));
        return;  // BINUNICODE8
      case 'V':
        push(text(Kind::kString, line()));
        return;  // UNICODE (raw-escaped)
      case 'T':
        push(text(Kind::kBytes, bytes_of(little_endian(4))));
        return;  // BINSTRING
      case 'U':
        push(text(Kind::kBytes, bytes_of(little_endian(1))));
        return;  // SHORT_BINSTRING
      case 'S':
        push(text(Kind::kString, line()));
        return;  // STRING (quoted)
      case 'B':
        push(text(Kind::kBytes, bytes_of(little_endian(4))));
        return;  // BINBYTES
      case 'C':
        push(text(Kind::kBytes, bytes_of(little_endian(1))));
        return;   // SHORT_BINBYTES
      case 0x8e:  // BINBYTES8
      case 0x96:
        push(text(Kind::kBytes, bytes_of(little_endian(8))));
        return;  // BYTEARRAY8
      case ']':
        push(make(Kind::kList));
        return;  // EMPTY_LIST
      case ')':
        push(make(Kind::kTuple));
        return;  // EMPTY_TUPLE
      case '}':
        push(make(Kind::kDict));
        return;  // EMPTY_DICT
      case 0x8f:
        push(text(Kind::kObject, "builtins.set"));
        return;  // EMPTY_SET
      case 'l':
        push(sequence(Kind::kList, pop_to_mark()));
        return;  // LIST
      case 't':
        push(sequence(Kind::kTuple, pop_to_mark()));
        return;  // TUPLE
      case 0x85:
      case 0x86:
      case 0x87: {  // TUPLE1, TUPLE2, TUPLE3
        std::vector<PickleValue*> items(static_cast<size_t>(op - 0x84));
        for (size_t i = items.size(); i-- > 0;) items[i] = pop();
        push(sequence(Kind::kTuple, std::move(items)));
        return;
      }
      case 'd': {  // DICT
        PickleValue* d = make(Kind::kDict);
        set_items(d, pop_to_mark());
        push(d);
        return;
      }
      case 0x91:
        pop_to_mark();
        push(text(Kind::kObject, "builtins.frozenset"));
        return;    // FROZENSET
      case 'a': {  // APPEND
        PickleValue* v = pop();
        append(top(), {v});
        return;
      }
      case 'e':
      case 0x90: {  // APPENDS, ADDITEMS
        auto items = pop_to_mark();
        append(top(), items);
        return;
      }
      case 's': {  // SETITEM
        PickleValue* v = pop();
        PickleValue* k = pop();
        set_items(top(), {k, v});
        return;
      }
      case 'u': {  // SETITEMS
        auto kv = pop_to_mark();
        set_items(top(), kv);
        return;
      }
      case 'c': {  // GLOBAL "module\nname\n"
        const std::string module = line();
        push(global(module, line()));
        return;
      }
      case 0x93: {  // STACK_GLOBAL
        PickleValue* name = pop();
        PickleValue* module = pop();
        if (name->kind != Kind::kString || module->kind != Kind::kString)
          fail("STACK_GLOBAL of non-strings");
        push(global(module->text, name->text));
        return;
      }
      case 'R': {  // REDUCE
        PickleValue* args = pop();
        PickleValue* callable = pop();
        push(call(callable, args));
        return;
      }
      case 0x81: {  // NEWOBJ
        PickleValue* args = pop();
        PickleValue* cls = pop();
        push(call(cls, args));
        return;
      }
      case 0x92: {  // NEWOBJ_EX
        pop();      // kwargs
        PickleValue* args = pop();
        PickleValue* cls = pop();
        push(call(cls, args));
        return;
      }
      case 'o': {  // OBJ
        auto items = pop_to_mark();
        if (items.empty()) fail("OBJ without a class");
        PickleValue* args =
            sequence(Kind::kTuple, std::vector<PickleValue*>(items.begin() + 1, items.end()));
        push(call(items[0], args));
        return;
      }
      case 'i': {  // INST "module\nname\n"
        const std::string module = line();
        PickleValue* cls = global(module, line());
        push(call(cls, sequence(Kind::kTuple, pop_to_mark())));
        return;
      }
      case 'b': {  // BUILD: object state is never applied, but a TorchScript module object
                   // (__torch__.*) keeps its attribute dict (formats/torchscript_archive.h)
        PickleValue* state = pop();
        PickleValue* object = top();
        if (object->kind == Kind::kObject && object->text.rfind("__torch__.", 0) == 0 &&
            state->kind == Kind::kDict && object->entries.empty() && state != object) {
          attach(object, state);
          object->entries = state->entries;
        }
        return;
      }
      case 'Q':
        push(persistent_load(pop()));
        return;    // BINPERSID
      case 'P': {  // PERSID (text id): not a storage
        line();
        fail("names a persistent object by a text id");
      }
      case 'q':
        memo_put(little_endian(1));
        return;  // BINPUT
      case 'r':
        memo_put(little_endian(4));
        return;  // LONG_BINPUT
      case 'p':
        memo_put(static_cast<uint64_t>(text_integer(line())));
        return;  // PUT
      case 0x94:
        memo_put(memo_.size());
        return;  // MEMOIZE
      case 'h':
        push(memo_get(little_endian(1)));
        return;  // BINGET
      case 'j':
        push(memo_get(little_endian(4)));
        return;  // LONG_BINGET
      case 'g':
        push(memo_get(static_cast<uint64_t>(text_integer(line()))));
        return;  // GET
      default:
        break;
    }
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", op);
    fail(std::string("has opcode ") + hex + ", which is not a data pickle's (corrupt file?)");
  }

  const unsigned char* p_;
  size_t size_;
  size_t pos_ = 0;
  PickleDocument& doc_;
  const std::string& file_;
  const std::string& what_;
  std::vector<PickleValue*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PickleValue*> memo_;
  std::unordered_map<const PickleValue*, std::unordered_map<std::string, size_t>> dict_index_;
};

}  // namespace

Unpickled unpickle(const char* bytes, size_t size, PickleDocument& doc, const std::string& file,
                   const std::string& what) {
  return Unpickler(bytes, size, doc, file, what).run();
}

}  // namespace swa
