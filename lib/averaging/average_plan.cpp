#include "lib/averaging/average_plan.h"

#include "formats/tensor_file.h"

namespace swa {

AveragePlan plan_average(const std::vector<std::string>& args, const SelectionOptions& selection,
                         const WeightingSpec& weighting, const ExpandOptions& expand) {
  AveragePlan plan;
  plan.found = expand_snapshot_inputs(args, expand);
  const auto& paths = plan.found.paths;
  std::vector<SnapshotMeta> metas;
  std::vector<int64_t> epochs;
  for (const auto& p : paths) {
    metas.push_back(read_snapshot_meta(p, expand.state_dict_key));
    epochs.push_back(metas.back().epoch);
  }
  std::vector<SnapshotMeta> chosen;
  for (size_t i : select_snapshots(paths, epochs, selection)) {
    plan.inputs.push_back(paths[i]);
    chosen.push_back(metas[i]);
  }
  plan.weights = compute_weights(weighting, chosen, plan.inputs);
  plan.weighting = weighting.describe();
  return plan;
}

}  // namespace swa
