// Built instead of torch_pickle_tensor_file.cpp when SWA_WITH_TORCH_PICKLE is OFF (a LibTorch whose
// serialization internals differ from 1.13's): .pt files are refused with a clear message.
#include "formats/input_error.h"
#include "formats/torch_pickle_tensor_file.h"

namespace swa {
namespace {
constexpr const char* kWhy = "this build has no PyTorch .pt support (SWA_WITH_TORCH_PICKLE=OFF); "
                             "use .h5 or .safetensors, or convert with a full build";
}

std::unique_ptr<TensorFileReader> open_torch_pickle_tensor_file(const std::string& path) {
  throw InputError(path, kWhy);
}

std::unique_ptr<TensorFileWriter> create_torch_pickle_tensor_file(const std::string& path,
                                                                  const StoredLayout&) {
  throw InputError(path, kWhy);
}

}  // namespace swa
