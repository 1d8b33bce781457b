// .pt files in programs that do not link LibTorch. LibTorch's start-up alone costs about a
// second of every run on a small machine, so the streaming tools (swa-average) leave it out and
// load the plugin libswa_torch_pickle.so (formats/torch_pickle_tensor_file.h) the first time a
// .pt file is named. It is looked for in $SWA_PLUGIN_DIR, then next to the program, then in
// the program's parent folder and ../lib/swa.
#pragma once
#include <memory>
#include <string>

#include "formats/tensor_file.h"

namespace swa {

class TorchPicklePlugin {
 public:
  // Throws InputError naming `path` when the plugin cannot be loaded.
  std::unique_ptr<TensorFileReader> open(const std::string& path) const;
  std::unique_ptr<TensorFileWriter> create(const std::string& path, const StoredLayout& layout) const;
};

const TorchPicklePlugin& torch_pickle_plugin();

}  // namespace swa
