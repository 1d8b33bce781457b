// A user's architecture as TorchScript (torch.jit.script(model).save("model.ts")), with a
// snapshot's weights loaded into it by key, strictly, as load_state_dict(strict=True) does:
// parameters and buffers missing from the snapshot, keys the module lacks, shapes or dtypes that
// differ are refused, the first few of each named. TorchScript does not record whether a buffer
// is persistent: a buffer the snapshot lacks (a non-persistent one, which a Python state dict
// never holds) keeps the module's own value and is named once, except BatchNorm's statistics,
// which are always persistent. The snapshot's weights are what runs, never those inside the file.
#pragma once
#include <torch/script.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "formats/snapshot.h"
#include "lib/models/snapshot_fit.h"

namespace swa {

struct ScriptedModel {
  torch::jit::Module module;
  std::string path;       // the .ts file
  std::string type_name;  // its top module's class, e.g. __torch__.torchvision.models.MobileNetV2
};

// Throws InputError naming the file when LibTorch cannot load it (the message says which operator
// or version it lacks) or when it is frozen (torch.jit.freeze: no parameters left to load).
ScriptedModel load_scripted_model(const std::string& path);

// How a snapshot's tensors fit the module (lib/models/snapshot_fit.h).
SnapshotFit snapshot_fit(const ScriptedModel& model, const StoredLayout& layout);

// Copies `tensor(key)` into the module for each key of `layout`. Throws InputError naming `what`
// and the model unless `layout` fits it. Returns the fit (for `kept`).
SnapshotFit load_tensors_into(ScriptedModel& model, const StoredLayout& layout,
                              const std::string& what,
                              const std::function<torch::Tensor(const std::string&)>& tensor);
// load_tensors_into with a snapshot's tensors.
SnapshotFit load_snapshot_into(ScriptedModel& model, SnapshotReader& snapshot);

// A TorchScript file with a snapshot's weights loaded (load_scripted_model, load_snapshot_into).
struct ScriptedSnapshot {
  ScriptedModel model;
  std::unique_ptr<SnapshotReader> snapshot;
  SnapshotFit fit;
};
ScriptedSnapshot load_scripted_snapshot(const std::string& model_path,
                                        const std::string& snapshot_path,
                                        const std::string& state_dict_key = "");

// The module's current values of `layout`'s keys, in its order, on the CPU (what swa-bn writes).
StateDict scripted_state(const ScriptedModel& model, const StoredLayout& layout);

// The module's forward on `inputs`. Throws InputError naming the model, the inputs' shape and
// `data` when it fails (inputs of another shape than the model takes, most often).
c10::IValue run_forward(ScriptedModel& model, const torch::Tensor& inputs, const std::string& data);
// The same for another module made from it (a frozen copy), errors naming `model_path`.
c10::IValue run_forward(torch::jit::Module& module, const std::string& model_path,
                        const torch::Tensor& inputs, const std::string& data);

// The module's parameters and buffers by state_dict key (aliases: writing them changes the module).
std::vector<std::pair<std::string, torch::Tensor>> module_tensors(const torch::jit::Module& module);
std::map<std::string, torch::Tensor> module_tensor_map(const torch::jit::Module& module);

}  // namespace swa
