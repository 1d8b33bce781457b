// What swa-report found for one folder of snapshots, as typed results: every score, candidate and
// comparison, and the recommendation with the command that writes it. report_json.h turns it
// into report.json (the schema of lib/report/REPORT.md), which the Markdown, the charts and the
// batch summary read.
#pragma once
#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

#include "formats/snapshot_meta.h"
#include "lib/evaluation/classification_metrics.h"
#include "lib/report/compute_ledger.h"
#include "lib/report/greedy_soup.h"
#include "lib/report/leave_one_out.h"
#include "lib/report/output_covariance.h"
#include "lib/report/recommendation.h"

namespace swa {

// A candidate model with its scores: validation always; test for the final candidates when the
// report evaluates the test split.
struct ScoredCandidate {
  Candidate candidate;
  ClassificationMetrics validation;
  std::optional<ClassificationMetrics> test;
};

// One snapshot: what its file says, and its own validation score.
struct SnapshotScore {
  std::string name, path;
  SnapshotMeta meta;
  ClassificationMetrics validation;
};

struct ReportImagesUsed {
  std::string dir;
  int64_t validation_size = 0;  // --val-size
  int64_t validation_images = 0;
  std::optional<int64_t> test_images;  // none when the test split is not evaluated
  int64_t bn_samples = 0;
  uint64_t bn_seed = 0;
  bool bn_augment = true;
};

struct Report {
  std::string producer, created_utc, source, arch;
  ReportImagesUsed data;
  std::vector<std::string> class_names;
  std::vector<std::string> warnings;
  std::vector<SnapshotScore> snapshots;  // in the order given (epoch order)

  ScoredCandidate best_single;      // the best snapshot on its own
  ScoredCandidate uniform_average;  // SWA: all snapshots, BatchNorm re-estimated
  ScoredCandidate uniform_average_bn_averaged;
  std::vector<ScoredCandidate> tail_averages;  // the last k snapshots, k = 2 .. n-1
  std::vector<LeaveOneOut> leave_one_out;
  GreedySoup greedy_soup;
  ScoredCandidate greedy_soup_scores;
  std::vector<SubsetQuality> individual;  // each snapshot's own validation quality

  ClassificationMetrics ensemble;      // the mean softmax of all snapshots, on validation
  double seconds_per_1000_images = 0;  // one model's forward pass, measured
  OutputCovariance covariance;
  double covariance_top_percent = 50;
  ScoredCandidate covariance_top;
  torch::Tensor disagreement;     // [n, n] share of validation images predicted differently
  torch::Tensor weight_distance;  // [n, n] L2 distance between trained weights
  std::vector<double> weight_norms;

  ScoredCandidate recommendation;
  std::string recommendation_reason;
  std::string recommendation_command;  // writes exactly the model scored

  ComputeLedger compute;
  double wall_seconds = 0;
  std::string device;
  int threads = 0;

  std::vector<std::string> names() const {  // the snapshots' names, in order
    std::vector<std::string> out;
    for (const auto& s : snapshots) out.push_back(s.name);
    return out;
  }
};

}  // namespace swa
