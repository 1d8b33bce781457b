#include "lib/inspection/model_fit.h"

#include "lib/models/batchnorm_keys.h"

namespace swa {

std::vector<ModelTensor> archive_model_tensors(const TorchScriptArchive& archive) {
  std::vector<ModelTensor> out;
  for (const auto& t : archive.tensors) {
    const bool statistic = is_batchnorm_class(t.owner_class) && is_batchnorm_buffer(t.tensor.key);
    out.push_back({t.tensor, t.parameter || statistic});
  }
  return out;
}

nlohmann::json model_fit_report(const std::string& model_path, const TorchScriptArchive& archive,
                                const std::string& path, const std::string& state_dict_key) {
  const auto file = open_tensor_file(path, {TensorFileKind::kSnapshot, state_dict_key});
  const SnapshotFit fit = fit_snapshot(archive_model_tensors(archive), file->layout());
  return {{"model", model_path},          {"class", archive.type_name},
          {"fits", fit.fits()},           {"problems", fit.problems()},
          {"missing", fit.missing},       {"unexpected", fit.unexpected},
          {"mismatched", fit.mismatched}, {"kept", fit.kept}};
}

}  // namespace swa
