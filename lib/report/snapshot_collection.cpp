#include "lib/report/snapshot_collection.h"

#include <filesystem>
#include <unordered_map>

#include "formats/input_error.h"
#include "formats/torch_element_type.h"
#include "lib/averaging/average_snapshots.h"
#include "lib/averaging/snapshot_compatibility.h"
#include "lib/averaging/summation_order.h"
#include "lib/data/cifar10.h"
#include "lib/models/batchnorm_keys.h"
#include "lib/models/load_model.h"

namespace swa {

SnapshotCollection::SnapshotCollection(std::vector<SnapshotEntry> entries)
    : entries_(std::move(entries)) {
  if (entries_.empty()) throw InputError("(no snapshots)", "a report needs at least one snapshot");
  const auto& ref = entries_.front();
  for (const auto& e : entries_) {
    if (e.state.size() != ref.state.size()) {
      throw InputError(e.path, "has " + std::to_string(e.state.size()) + " tensors, " + ref.path +
                                   " has " + std::to_string(ref.state.size()));
    }
    for (size_t k = 0; k < e.state.size(); ++k) {
      const auto& [key, t] = e.state[k];
      const auto& [ref_key, ref_t] = ref.state[k];
      if (key != ref_key || t.sizes() != ref_t.sizes() || t.scalar_type() != ref_t.scalar_type()) {
        throw InputError(e.path, key, "differs from " + ref_key + " of " + ref.path);
      }
    }
  }
}

namespace {

// `state`'s tensors in the key order of `reference` (files store their tensors in any order: they
// are matched by name). Keys that differ are left for the constructor's check to name.
StateDict in_order_of(const StateDict& reference, StateDict state, const std::string& path) {
  if (state.size() != reference.size()) return state;
  std::unordered_map<std::string, size_t> where;
  for (size_t k = 0; k < state.size(); ++k) where.emplace(state[k].first, k);
  StateDict ordered;
  ordered.reserve(state.size());
  for (const auto& [key, t] : reference) {
    auto it = where.find(key);
    if (it == where.end()) throw InputError(path, key, "missing");
    ordered.push_back(std::move(state[it->second]));
  }
  return ordered;
}

}  // namespace

SnapshotCollection SnapshotCollection::load(const std::vector<std::string>& paths,
                                            bool builtin_architecture,
                                            const std::string& state_dict_key) {
  // The same file twice (a link in the folder to another snapshot) would count twice.
  require_distinct_files(paths, "each snapshot counts once");
  std::vector<SnapshotEntry> entries;
  std::unique_ptr<SnapshotReader> first;
  for (const auto& path : paths) {
    auto reader = open_snapshot(path, state_dict_key);
    // What the file says of itself first, before its tensors are read (a bare .pt names neither).
    SnapshotMeta meta = reader->meta();
    if (builtin_architecture) {
      meta.arch = snapshot_architecture(*reader);
      meta.num_classes = snapshot_num_classes(*reader);
      require_cifar10_outputs(meta.num_classes, path);
    }
    if (first) {
      check_compatible_snapshots(first->file(), reader->file());
    }
    SnapshotEntry e{path, std::filesystem::path(path).filename().string(), meta,
                    read_state_dict(*reader)};
    if (!entries.empty()) e.state = in_order_of(entries.front().state, std::move(e.state), path);
    for (const auto& [key, t] : e.state) {
      if (t.is_floating_point() && !torch::isfinite(t).all().item<bool>()) {
        throw InputError(path, key, "holds NaN or infinite values");
      }
    }
    reader->file().check_unchanged();
    entries.push_back(std::move(e));
    if (!first) first = std::move(reader);
  }
  return SnapshotCollection(std::move(entries));
}

StateDict SnapshotCollection::average(const std::vector<int>& members) const {
  TORCH_CHECK(!members.empty(), "average of no snapshots");
  if (members.size() == 1) return entries_.at(static_cast<size_t>(members[0])).state;
  // What `swa-average` of the members' files computes: uniform weights, the sum in path order.
  std::vector<std::string> paths;
  std::vector<SummationKey> keys;
  for (int m : members) {
    const SnapshotEntry& e = entries_.at(static_cast<size_t>(m));
    paths.push_back(e.path);
    keys.push_back(summation_key(e.path, e.meta));
  }
  const std::vector<size_t> order = summation_order(keys);
  const SummationWeights weights =
      summation_weights(std::vector<double>(members.size(), 1.0), order);
  // The other tensors from the latest member, as swa-average takes them from its latest input.
  const auto& last = entries_.at(static_cast<size_t>(members[order.back()])).state;
  std::vector<double> acc;
  StateDict out;
  out.reserve(last.size());
  for (size_t k = 0; k < last.size(); ++k) {
    const auto& [key, t] = last[k];
    if (!t.is_floating_point()) {
      out.emplace_back(key, t);
      continue;
    }
    std::vector<torch::Tensor> inputs;  // contiguous float tensors of the same dtype
    std::vector<const void*> data;
    for (int m : members) {
      inputs.push_back(entries_.at(static_cast<size_t>(m)).state[k].second.contiguous());
      data.push_back(inputs.back().data_ptr());
    }
    acc.resize(static_cast<size_t>(t.numel()));
    torch::Tensor avg = torch::empty_like(t, torch::MemoryFormat::Contiguous);
    weighted_average_elements(data, to_element_type(t.scalar_type(), paths.back(), key), t.numel(),
                              weights, order, acc.data(), avg.data_ptr());
    out.emplace_back(key, avg);
  }
  return out;
}

bool is_trained_weight(const std::string& key, const torch::Tensor& t) {
  return t.is_floating_point() && !is_batchnorm_statistic(key);
}

}  // namespace swa
