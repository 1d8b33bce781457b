// The .pt plugin's entry points, looked up by name with dlsym (formats/torch_pickle_plugin.h).
#include "formats/torch_pickle_tensor_file.h"

extern "C" swa::TensorFileReader* swa_torch_pickle_open(const std::string& path) {
  return swa::open_torch_pickle_tensor_file(path).release();
}

extern "C" swa::TensorFileWriter* swa_torch_pickle_create(const std::string& path,
                                                          const swa::StoredLayout& layout) {
  return swa::create_torch_pickle_tensor_file(path, layout).release();
}
