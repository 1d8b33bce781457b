// A pickle reader that builds data and never runs anything: the allow-list of PyTorch's
// torch.load(weights_only=True), done natively. It builds None, bool, int, float, str, bytes,
// list, tuple, dict and collections.OrderedDict, tensors through torch._utils._rebuild_tensor_v2
// / _v3 / _rebuild_parameter over the storages named by persistent ids, and torch dtypes. Any
// other global becomes an opaque placeholder (PickleValue::kObject) that names it; what to make
// of a placeholder is the caller's decision (formats/torch_checkpoint.h). A placeholder of a
// TorchScript class (__torch__.*) keeps the attribute dict BUILD gives it, in `entries`.
// Requires: one pickle, protocol 0 to 5, at the start of `bytes`.
// Ensures: the value STOP leaves and how many bytes the pickle took (a legacy torch.save file holds
// several pickles in a row); InputError "FILE: WHAT: ..." for anything malformed, truncated,
// nested deeper than kMaxPickleDepth or pushing more than kMaxPickleStack values at once.
#pragma once
#include <cstddef>
#include <string>

#include "formats/input_error.h"
#include "formats/pickle_value.h"

namespace swa {

constexpr int kMaxPickleDepth = 1000;
constexpr size_t kMaxPickleStack = 200000;

// The bytes ended inside the pickle: a caller that gave a window of a larger file may retry
// with more.
class PickleTruncated : public InputError {
 public:
  using InputError::InputError;
};

struct Unpickled {
  PickleValue* value = nullptr;
  size_t consumed = 0;
};

Unpickled unpickle(const char* bytes, size_t size, PickleDocument& doc, const std::string& file,
                   const std::string& what);

}  // namespace swa
