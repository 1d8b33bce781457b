// swa-inspect --model: whether a snapshot fits a TorchScript model, judged as swa-bn and swa-eval
// judge it when they load the weights (lib/models/snapshot_fit.h), from the model file's own
// declarations (formats/torchscript_archive.h). Torch-free.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "formats/torchscript_archive.h"
#include "lib/models/snapshot_fit.h"

namespace swa {

// The model's tensors as the fit rules take them: parameters and BatchNorm statistics required.
std::vector<ModelTensor> archive_model_tensors(const TorchScriptArchive& archive);

// {"model", "class", "fits", "missing", "unexpected", "mismatched", "kept"} for the snapshot at
// `path`. Throws InputError when the snapshot cannot be opened.
nlohmann::json model_fit_report(const std::string& model_path, const TorchScriptArchive& archive,
                                const std::string& path, const std::string& state_dict_key = "");

}  // namespace swa
