// Scores subsets of a report's snapshots on the validation split, each subset computed once:
//   one snapshot        its own weights and BatchNorm statistics, as training left them;
//   several snapshots   their uniform average, BatchNorm re-estimated (update_bn semantics) on a
//                       fixed subset of the training images (augmented as in training, seeded:
//                       what `swa-bn --samples N --seed S --augment` does), then evaluated.
// Results are cached by subset, so leave-one-out, the greedy soup and the recommendation share
// every pass they have in common; BatchNorm is re-estimated once per subset, whatever the number
// of splits it is scored on. The test split is scored only on request (final candidates).
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "lib/evaluation/classification_metrics.h"
#include "lib/report/candidate_model.h"
#include "lib/report/compute_ledger.h"
#include "lib/report/snapshot_collection.h"

namespace swa {

// An average's BatchNorm statistics: re-estimated for its weights, or averaged with them (cheaper,
// and no worse on some runs).
enum class AverageBatchNorm { kRecomputed, kAveraged };

struct CandidateScore {
  std::vector<int> members;  // sorted snapshot indices
  bool bn_recomputed = false;
  ClassificationMetrics metrics;  // on the split it was scored on
  torch::Tensor logits;           // [images, classes], CPU float32
};

class CandidateScorer {
 public:
  // `model`: the architecture and the data (BatchNorm images, validation, test); outlives this.
  CandidateScorer(const SnapshotCollection& snapshots, CandidateModel& model,
                  ScoringOptions options, ComputeLedger& ledger);

  const CandidateScore& validation(std::vector<int> members,
                                   AverageBatchNorm bn = AverageBatchNorm::kRecomputed);
  const CandidateScore& test(std::vector<int> members,
                             AverageBatchNorm bn = AverageBatchNorm::kRecomputed);
  // Validation images per second of one model's forward pass, measured on the passes so far.
  double forward_images_per_second() const;

 private:
  using Key = std::pair<std::vector<int>, AverageBatchNorm>;
  CandidateScore score(const std::vector<int>& members, AverageBatchNorm bn, ReportSplit split,
                       const char* stage);

  const SnapshotCollection& snapshots_;
  CandidateModel& model_;
  ScoringOptions options_;
  ComputeLedger& ledger_;
  std::map<Key, CandidateScore> val_cache_, test_cache_;
  // BatchNorm statistics re-estimated for each averaged subset: a second split reuses them.
  std::map<std::vector<int>, std::map<std::string, torch::Tensor>> batchnorm_cache_;
  double forward_seconds_ = 0;
  int64_t forward_images_ = 0;
};

// "cycle-0001.h5 + cycle-0003.h5" style names for log lines.
std::string describe_members(const SnapshotCollection& snapshots, const std::vector<int>& members);

}  // namespace swa
