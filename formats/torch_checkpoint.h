// Which object of an unpickled torch.save file is the model's state dict, as PyTorch users
// really save them: the state dict itself (dict or OrderedDict of tensors), or a checkpoint that
// wraps it under "state_dict", "model_state_dict", "model", "module" or "net" (Lightning .ckpt,
// timm, most training scripts), or the object a dotted --key path names ("state_dict_ema").
// Prefixes every key carries are stripped ("module." from DDP and AveragedModel, "_orig_mod."
// from torch.compile, "model." from Lightning) and AveragedModel's n_averaged is dropped.
#pragma once
#include <string>
#include <vector>

#include "formats/pickle_value.h"
#include "formats/state_dict_origin.h"

namespace swa {

struct CheckpointTensor {
  std::string key;  // after prefix stripping
  const TensorRef* tensor = nullptr;
};

struct CheckpointStateDict {
  std::vector<CheckpointTensor> tensors;  // in the file's order
  StateDictOrigin origin;
  int64_t epoch = -1;  // the checkpoint's own "epoch" and "global_step"/"step" entries, if any
  int64_t step = -1;
};

// Throws InputError naming `file` when no state dict is found (listing what the file holds),
// when `key_path` names nothing, or when a state dict entry is not a tensor (naming the entry
// and what it is, e.g. an object whose class this reader never builds).
CheckpointStateDict find_state_dict(const PickleValue& root, const std::string& key_path,
                                    const std::string& file);

}  // namespace swa
