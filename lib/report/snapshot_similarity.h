// How alike the snapshots are, pairwise: in what they predict and where their weights are.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "lib/report/snapshot_collection.h"

namespace swa {

// [N, N] float64: the share of images (0..1) on which snapshots i and j predict different classes.
torch::Tensor prediction_disagreement(const std::vector<torch::Tensor>& member_logits);

// [N, N] float64: the L2 distance between the snapshots' trained weights (every floating tensor
// except BatchNorm running statistics), summed in float64.
torch::Tensor weight_distances(const SnapshotCollection& snapshots);

// Per snapshot: the L2 norm of its trained weights (the scale the distances compare with).
std::vector<double> weight_norms(const SnapshotCollection& snapshots);

}  // namespace swa
