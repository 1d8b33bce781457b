#include "lib/models/snapshot_fit.h"

#include <map>
#include <set>

namespace swa {

std::string first_few(const std::vector<std::string>& names, size_t few) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < few; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > few) out += ", ...";
  return out;
}

std::string SnapshotFit::problems() const {
  std::string out;
  auto add = [&](const std::vector<std::string>& names, const char* what) {
    if (names.empty()) return;
    out += (out.empty() ? "" : "; ") + std::to_string(names.size()) + " " + what + " (" +
           first_few(names) + ")";
  };
  add(missing, "missing from the snapshot");
  add(unexpected, "not in the model");
  add(mismatched, "of another shape or dtype");
  return out;
}

SnapshotFit fit_snapshot(const std::vector<ModelTensor>& model, const StoredLayout& snapshot) {
  std::map<std::string, const ModelTensor*> by_key;
  for (const auto& m : model) by_key.emplace(m.tensor.key, &m);
  SnapshotFit fit;
  std::set<std::string> stored;
  for (const StoredTensor& s : snapshot) {
    stored.insert(s.key);
    const auto it = by_key.find(s.key);
    if (it == by_key.end()) {
      fit.unexpected.push_back(s.key);
    } else if (it->second->tensor.type != s.type || it->second->tensor.shape != s.shape) {
      fit.mismatched.push_back(s.key + ": " + describe_tensor(s) + " in the snapshot, " +
                               describe_tensor(it->second->tensor) + " in the model");
    }
  }
  for (const auto& m : model) {
    if (!stored.count(m.tensor.key)) (m.required ? fit.missing : fit.kept).push_back(m.tensor.key);
  }
  return fit;
}

std::string kept_buffers_note(const SnapshotFit& fit) {
  return std::to_string(fit.kept.size()) +
         " buffer(s) not in the snapshot keep the model file's values (non-persistent buffers, "
         "which a state dict never holds): " +
         first_few(fit.kept);
}

}  // namespace swa
