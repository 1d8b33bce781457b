#include "lib/models/state_dict.h"

#include <map>

#include "formats/input_error.h"

namespace swa {

StateDict state_dict(const torch::nn::Module& module) {
  StateDict out;
  for (const auto& item : module.named_modules(/*name_prefix=*/"", /*include_self=*/true)) {
    const std::string prefix = item.key().empty() ? "" : item.key() + ".";
    for (const auto& p : item.value()->named_parameters(/*recurse=*/false)) {
      out.emplace_back(prefix + p.key(), p.value());
    }
    for (const auto& b : item.value()->named_buffers(/*recurse=*/false)) {
      out.emplace_back(prefix + b.key(), b.value());
    }
  }
  return out;
}

void load_state_dict(torch::nn::Module& module, const StateDict& state, const std::string& source) {
  std::map<std::string, torch::Tensor> given(state.begin(), state.end());
  torch::NoGradGuard no_grad;
  const StateDict own = state_dict(module);
  for (const auto& [key, target] : own) {
    auto it = given.find(key);
    if (it == given.end()) throw InputError(source, key, "missing from the snapshot");
    const torch::Tensor& t = it->second;
    if (t.sizes() != target.sizes() || t.scalar_type() != target.scalar_type()) {
      throw InputError(source, key,
                       "shape/dtype " + c10::str(t.sizes(), " ", t.scalar_type()) +
                           " does not match the model's " +
                           c10::str(target.sizes(), " ", target.scalar_type()));
    }
    target.copy_(t);
    given.erase(it);
  }
  if (!given.empty()) {
    throw InputError(source, given.begin()->first, "not a tensor of this architecture");
  }
}

}  // namespace swa
