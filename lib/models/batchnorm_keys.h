// BatchNorm's buffers in a state dict, recognised by torchvision's names (torch-free: the
// streamed average uses them too). The one place that says which keys they are.
#pragma once
#include <string>

namespace swa {

// running_mean and running_var: averaged by swa-average, re-estimated by swa-bn.
bool is_batchnorm_statistic(const std::string& key);

// Those and num_batches_tracked: buffers, not learned parameters.
bool is_batchnorm_buffer(const std::string& key);

// Whether a qualified TorchScript class name is torch's BatchNorm1d/2d/3d or SyncBatchNorm
// (__torch__.torch.nn.modules.batchnorm.BatchNorm2d, possibly with a ___torch_mangle_N part).
bool is_batchnorm_class(const std::string& qualified_name);

}  // namespace swa
