// A module's state_dict as PyTorch orders it: modules in registration order, each module's own
// parameters, then its own buffers. (LibTorch lists all parameters before all buffers.)
#pragma once
#include <torch/torch.h>

#include "formats/snapshot.h"

namespace swa {

StateDict state_dict(const torch::nn::Module& module);

// Copies `state` into `module` (keys, shapes and dtypes must match exactly; throws InputError
// naming `source` and the first mismatch).
void load_state_dict(torch::nn::Module& module, const StateDict& state, const std::string& source);

}  // namespace swa
