#include "lib/report/candidate_scorer.h"

#include <algorithm>
#include <chrono>
#include <iostream>

#include "lib/averaging/average_snapshots.h"

namespace swa {

CandidateScorer::CandidateScorer(const SnapshotCollection& snapshots, CandidateModel& model,
                                 ScoringOptions options, ComputeLedger& ledger)
    : snapshots_(snapshots), model_(model), options_(std::move(options)), ledger_(ledger) {}

const CandidateScore& CandidateScorer::validation(std::vector<int> members, AverageBatchNorm bn) {
  std::sort(members.begin(), members.end());
  if (members.size() == 1) bn = AverageBatchNorm::kRecomputed;  // one snapshot: its own statistics
  const Key key{members, bn};
  auto it = val_cache_.find(key);
  if (it == val_cache_.end())
    it = val_cache_.emplace(key, score(members, bn, ReportSplit::kValidation, "validation forward"))
             .first;
  return it->second;
}

const CandidateScore& CandidateScorer::test(std::vector<int> members, AverageBatchNorm bn) {
  std::sort(members.begin(), members.end());
  if (members.size() == 1) bn = AverageBatchNorm::kRecomputed;
  const Key key{members, bn};
  auto it = test_cache_.find(key);
  if (it == test_cache_.end())
    it = test_cache_.emplace(key, score(members, bn, ReportSplit::kTest, "test forward")).first;
  return it->second;
}

double CandidateScorer::forward_images_per_second() const {
  return forward_seconds_ > 0 ? static_cast<double>(forward_images_) / forward_seconds_ : 0.0;
}

CandidateScore CandidateScorer::score(const std::vector<int>& members, AverageBatchNorm bn,
                                      ReportSplit split, const char* stage) {
  TORCH_CHECK(!members.empty(), "a candidate needs at least one snapshot");
  const bool averaged_bn = members.size() > 1 && bn == AverageBatchNorm::kAveraged;
  if (options_.log) {
    options_.log(std::string(stage) + ": " + (members.size() > 1 ? "average of " : "") +
                 describe_members(snapshots_, members) +
                 (averaged_bn ? ", BatchNorm averaged" : ""));
  }
  CandidateScore out;
  out.members = members;
  out.bn_recomputed = members.size() > 1 && !averaged_bn;
  const auto cached_bn = averaged_bn ? batchnorm_cache_.end() : batchnorm_cache_.find(members);
  {
    StageTimer timer(ledger_, "averaging");
    StateDict state = snapshots_.average(members);
    if (cached_bn != batchnorm_cache_.end()) {
      for (auto& [key, t] : state) {
        const auto it = cached_bn->second.find(key);
        if (it != cached_bn->second.end()) t = it->second;
      }
    }
    model_.load(state, describe_members(snapshots_, members));
  }
  if (out.bn_recomputed && cached_bn == batchnorm_cache_.end()) {
    StageTimer timer(ledger_, "batchnorm re-estimation", model_.batchnorm_images());
    model_.recompute_batchnorm(options_);
    auto& statistics = batchnorm_cache_[members];
    for (const auto& [key, t] : model_.batchnorm_statistics()) statistics[key] = t;
  }
  const auto start = std::chrono::steady_clock::now();
  out.logits = model_.logits(split, options_);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int64_t images = model_.images(split);
  ledger_.add(stage, secs, images);
  forward_seconds_ += secs;
  forward_images_ += images;
  out.metrics = classification_metrics(out.logits, model_.labels(split));
  return out;
}

std::string describe_members(const SnapshotCollection& snapshots, const std::vector<int>& members) {
  if (members.size() == snapshots.size() && members.size() > 1)
    return "all " + std::to_string(members.size()) + " snapshots";
  std::string s;
  for (int m : members) s += (s.empty() ? "" : " + ") + snapshots[static_cast<size_t>(m)].name;
  return s;
}

}  // namespace swa
