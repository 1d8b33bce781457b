// Which files an average uses and with what weights: expands the INPUT arguments, applies the
// selection flags, then the weighting, reading only the snapshots' metadata.
#pragma once
#include <string>
#include <vector>

#include "lib/averaging/snapshot_inputs.h"
#include "lib/averaging/weighting.h"

namespace swa {

struct AveragePlan {
  std::vector<std::string> inputs;
  std::vector<double> weights;  // parallel to inputs, summing to 1
  std::string weighting;        // WeightingSpec::describe()
  ExpandedInputs found;         // what the folders and globs held, left out and skipped included
};

AveragePlan plan_average(const std::vector<std::string>& args, const SelectionOptions& selection,
                         const WeightingSpec& weighting, const ExpandOptions& expand = {});

}  // namespace swa
