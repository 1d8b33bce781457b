// PyTorch's zip-pickle container (.pt): written as a plain dict[str, Tensor] that Python's
// torch.load returns and torchvision's load_state_dict accepts; read from files Python saved.
// Needs LibTorch. Programs linked with LibTorch call these directly; the torch-free streaming
// tools reach them through the plugin (formats/torch_pickle_plugin.h), which exports them as
// swa_torch_pickle_open / swa_torch_pickle_create.
#pragma once
#include "formats/tensor_file.h"

namespace swa {

std::unique_ptr<TensorFileReader> open_torch_pickle_tensor_file(const std::string& path);
std::unique_ptr<TensorFileWriter> create_torch_pickle_tensor_file(const std::string& path,
                                                                  const StoredLayout& layout);

}  // namespace swa

// The plugin's entry points (C linkage, so dlsym finds them by name).
extern "C" swa::TensorFileReader* swa_torch_pickle_open(const std::string& path);
extern "C" swa::TensorFileWriter* swa_torch_pickle_create(const std::string& path,
                                                          const swa::StoredLayout& layout);
