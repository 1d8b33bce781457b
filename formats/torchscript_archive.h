// What a TorchScript file (torch.jit.save) declares, read without LibTorch and without running
// anything: the module tree from its data.pkl (the data-only unpickler; a __torch__ object keeps
// its attribute dict), and which attributes are parameters and buffers from each class's code/
// file (`__parameters__ = [...]`, `__buffers__ = [...]`). swa-inspect --model compares a snapshot
// with it; the tools that run the model load it with LibTorch (lib/models/scripted_model.h).
#pragma once
#include <string>
#include <vector>

#include "formats/tensor_file.h"

namespace swa {

struct ArchiveTensor {
  StoredTensor tensor;  // state_dict key, dtype, shape
  bool parameter = false;
  std::string owner_class;  // the qualified class of the module holding it
};

struct TorchScriptArchive {
  std::string type_name;  // the top module's class, e.g. __torch__.torchvision.models.MobileNetV2
  std::vector<ArchiveTensor> tensors;  // in module order
};

// Throws InputError naming the file when it is no TorchScript archive or cannot be read.
TorchScriptArchive read_torchscript_archive(const std::string& path);

}  // namespace swa
