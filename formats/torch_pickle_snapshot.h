// PyTorch's zip-pickle container (.pt): written as a plain dict[str, Tensor] that Python's
// torch.load returns and torchvision's load_state_dict accepts; read from files Python saved.
#pragma once
#include "formats/snapshot.h"

namespace swa {

std::unique_ptr<SnapshotReader> open_torch_pickle_snapshot(const std::string& path);
std::unique_ptr<SnapshotWriter> create_torch_pickle_snapshot(const std::string& path,
                                                             const TensorLayout& layout);

}  // namespace swa
