// --device auto|cpu|cuda[:N]: auto picks CUDA when this build and machine have it.
#pragma once
#include <torch/torch.h>

#include <string>

namespace swa {

// Throws InputError for an unknown name or CUDA where this build or machine has none.
torch::Device resolve_device(const std::string& name);

}  // namespace swa
