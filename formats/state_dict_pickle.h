// data.pkl of a torch.save file holding a plain dict of tensors, as Python's pickler writes it at
// protocol 2: {key: torch._utils._rebuild_tensor_v2(storage, 0, shape, stride, False,
// OrderedDict())}, storage i being the persistent id ("storage", torch.<Type>Storage, "i", "cpu",
// numel). torch.load reads it with and without weights_only=True.
#pragma once
#include <string>

#include "formats/tensor_file.h"

namespace swa {

// Storage i (entry data/i) holds layout[i]'s elements, contiguous.
std::string state_dict_pickle(const StoredLayout& layout);

}  // namespace swa
