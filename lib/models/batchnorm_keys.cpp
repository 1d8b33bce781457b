#include "lib/models/batchnorm_keys.h"

namespace swa {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

bool is_batchnorm_statistic(const std::string& key) {
  return ends_with(key, ".running_mean") || ends_with(key, ".running_var");
}

bool is_batchnorm_buffer(const std::string& key) {
  return is_batchnorm_statistic(key) || ends_with(key, ".num_batches_tracked");
}

bool is_batchnorm_class(const std::string& qualified) {
  const std::string package = "__torch__.torch.nn.modules.batchnorm.";
  if (qualified.rfind(package, 0) != 0) return false;
  const std::string name = qualified.substr(qualified.rfind('.') + 1);
  return name == "BatchNorm1d" || name == "BatchNorm2d" || name == "BatchNorm3d" ||
         name == "SyncBatchNorm";
}

}  // namespace swa
