#include "lib/models/scripted_model.h"

#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include "formats/input_error.h"
#include "formats/readable_file.h"
#include "formats/torch_element_type.h"
#include "lib/models/scripted_normalisation.h"

namespace swa {
namespace {

// LibTorch's message without its C++ backtrace: the first lines say what went wrong.
std::string load_failure(const c10::Error& e) {
  std::string text = e.what_without_backtrace();
  std::string out;
  size_t lines = 0, begin = 0;
  while (begin < text.size() && lines < 4) {
    const size_t end = std::min(text.find('\n', begin), text.size());
    const std::string line = text.substr(begin, end - begin);
    if (!line.empty()) {
      out += (out.empty() ? "" : " | ") + line;
      ++lines;
    }
    begin = end + 1;
  }
  return out;
}

// The interpreter's message ends with the Python-level error ("RuntimeError: mat1 and mat2 ...").
std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of("\n ");
  if (end == std::string::npos) return text;
  const size_t begin = text.rfind('\n', end);
  return text.substr(begin == std::string::npos ? 0 : begin + 1,
                     end + 1 - (begin == std::string::npos ? 0 : begin + 1));
}

// "float32 [3, 4]", as snapshots' tensors are described.
std::string describe(const torch::Tensor& t) {
  StoredTensor stored;
  stored.shape = t.sizes().vec();
  try {
    stored.type = to_element_type(t.scalar_type(), "", "");
  } catch (const InputError&) {
    return std::string(c10::toString(t.scalar_type())) + " tensor";
  }
  return describe_tensor(stored);
}

// Keys whose absence from a snapshot is an error: parameters, and BatchNorm's statistics.
std::set<std::string> required_keys(const torch::jit::Module& module) {
  std::set<std::string> out;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) out.insert(p.name);
  for (const auto& bn : normalisation_layers(module).batchnorms) {
    const std::string prefix = bn.name.empty() ? "" : bn.name + ".";
    for (const char* b : {"running_mean", "running_var", "num_batches_tracked"})
      out.insert(prefix + b);
  }
  return out;
}

}  // namespace

ScriptedModel load_scripted_model(const std::string& path) {
  if (std::filesystem::is_directory(path))
    throw InputError(path, "a folder, not a TorchScript file");
  { const ReadableFile probe(path); }  // "cannot open: <reason>"
  ScriptedModel out;
  out.path = path;
  try {
    out.module = torch::jit::load(path, torch::kCPU);
  } catch (const c10::Error& e) {
    throw InputError(
        path, "LibTorch " TORCH_VERSION " cannot load this TorchScript file: " + load_failure(e));
  }
  out.type_name = out.module.type()->name()->qualifiedName();
  if (out.module.parameters().size() == 0 && out.module.buffers().size() == 0) {
    throw InputError(path,
                     "has no parameters or buffers to load a snapshot into: a frozen module "
                     "(torch.jit.freeze) keeps its weights as constants of the graph; save "
                     "torch.jit.script(model) without freezing it");
  }
  return out;
}

std::vector<std::pair<std::string, torch::Tensor>> module_tensors(
    const torch::jit::Module& module) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& m : module.named_modules()) {
    const std::string prefix = m.name.empty() ? "" : m.name + ".";
    for (const auto& p : m.value.named_parameters(/*recurse=*/false))
      out.emplace_back(prefix + p.name, p.value);
    for (const auto& b : m.value.named_buffers(/*recurse=*/false))
      out.emplace_back(prefix + b.name, b.value);
  }
  return out;
}

std::map<std::string, torch::Tensor> module_tensor_map(const torch::jit::Module& module) {
  std::map<std::string, torch::Tensor> out;
  for (auto& [key, t] : module_tensors(module)) out.emplace(key, t);
  return out;
}

SnapshotFit snapshot_fit(const ScriptedModel& model, const StoredLayout& layout) {
  const std::set<std::string> required = required_keys(model.module);
  std::vector<ModelTensor> tensors;
  for (const auto& [key, t] : module_tensors(model.module)) {
    StoredTensor stored;
    stored.key = key;
    stored.type = to_element_type(t.scalar_type(), model.path, key);
    stored.shape = t.sizes().vec();
    tensors.push_back({stored, required.count(key) > 0});
  }
  return fit_snapshot(tensors, layout);
}

SnapshotFit load_tensors_into(ScriptedModel& model, const StoredLayout& layout,
                              const std::string& what,
                              const std::function<torch::Tensor(const std::string&)>& tensor) {
  const SnapshotFit fit = snapshot_fit(model, layout);
  if (!fit.fits())
    throw InputError(what, "does not fit the model " + model.path + ": " + fit.problems());
  const auto tensors = module_tensor_map(model.module);
  torch::NoGradGuard no_grad;
  for (const StoredTensor& s : layout) tensors.at(s.key).copy_(tensor(s.key));
  return fit;
}

SnapshotFit load_snapshot_into(ScriptedModel& model, SnapshotReader& snapshot) {
  return load_tensors_into(model, snapshot.layout(), snapshot.path(),
                           [&](const std::string& key) { return snapshot.read(key); });
}

ScriptedSnapshot load_scripted_snapshot(const std::string& model_path,
                                        const std::string& snapshot_path,
                                        const std::string& state_dict_key) {
  ScriptedSnapshot out{
      load_scripted_model(model_path), open_snapshot(snapshot_path, state_dict_key), {}};
  out.fit = load_snapshot_into(out.model, *out.snapshot);
  return out;
}

c10::IValue run_forward(ScriptedModel& model, const torch::Tensor& inputs,
                        const std::string& data) {
  return run_forward(model.module, model.path, inputs, data);
}

c10::IValue run_forward(torch::jit::Module& module, const std::string& model_path,
                        const torch::Tensor& inputs, const std::string& data) {
  try {
    return module.forward({inputs});
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {  // c10::Error, or the interpreter's JITException
    throw InputError(model_path, "failed on inputs " + describe(inputs) + " from " + data + ": " +
                                     last_line(e.what()));
  }
}

StateDict scripted_state(const ScriptedModel& model, const StoredLayout& layout) {
  const auto tensors = module_tensor_map(model.module);
  StateDict out;
  for (const StoredTensor& s : layout)
    out.emplace_back(s.key, tensors.at(s.key).detach().to(torch::kCPU).contiguous());
  return out;
}

}  // namespace swa
