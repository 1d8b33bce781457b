#include "lib/report/candidate_scorer.h"

#include <algorithm>
#include <chrono>
#include <iostream>

#include "lib/averaging/average_snapshots.h"
#include "lib/batchnorm/recompute_batchnorm.h"
#include "lib/evaluation/predict.h"
#include "lib/models/batchnorm_keys.h"
#include "lib/models/state_dict.h"

namespace swa {

CandidateScorer::CandidateScorer(const SnapshotCollection& snapshots, ImageSet bn_images,
                                 ImageSet val, ScoringOptions options, ComputeLedger& ledger)
    : snapshots_(snapshots),
      bn_images_(std::move(bn_images)),
      val_(std::move(val)),
      options_(options),
      ledger_(ledger) {
  if (options_.device.is_cuda()) {  // the images move to the device once
    bn_images_.images = bn_images_.images.to(options_.device);
    val_.images = val_.images.to(options_.device);
  }
}

const CandidateScore& CandidateScorer::validation(std::vector<int> members, AverageBatchNorm bn) {
  std::sort(members.begin(), members.end());
  if (members.size() == 1) bn = AverageBatchNorm::kRecomputed;  // one snapshot: its own statistics
  const Key key{members, bn};
  auto it = val_cache_.find(key);
  if (it == val_cache_.end())
    it = val_cache_.emplace(key, score(members, bn, val_, "validation forward")).first;
  return it->second;
}

const CandidateScore& CandidateScorer::test(std::vector<int> members, const ImageSet& test_images,
                                            AverageBatchNorm bn) {
  std::sort(members.begin(), members.end());
  if (members.size() == 1) bn = AverageBatchNorm::kRecomputed;
  const Key key{members, bn};
  auto it = test_cache_.find(key);
  if (it == test_cache_.end())
    it = test_cache_.emplace(key, score(members, bn, test_images, "test forward")).first;
  return it->second;
}

double CandidateScorer::forward_images_per_second() const {
  return forward_seconds_ > 0 ? static_cast<double>(forward_images_) / forward_seconds_ : 0.0;
}

CandidateScore CandidateScorer::score(const std::vector<int>& members, AverageBatchNorm bn,
                                      const ImageSet& images, const char* stage) {
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
  ResNet model(parse_architecture(snapshots_.arch()), snapshots_.num_classes());
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
    load_state_dict(*model, state, describe_members(snapshots_, members));
  }
  if (out.bn_recomputed && cached_bn == batchnorm_cache_.end()) {
    StageTimer timer(ledger_, "batchnorm re-estimation", bn_images_.size());
    BatchNormPassOptions pass;
    pass.batch_size = options_.batch_size;
    pass.augment = options_.bn_augment;
    pass.seed = options_.bn_seed;
    pass.device = options_.device;
    pass.progress = options_.progress;
    recompute_batchnorm(model, bn_images_, pass);
    auto& statistics = batchnorm_cache_[members];
    for (const auto& [key, t] : state_dict(*model)) {
      if (is_batchnorm_buffer(key)) {
        statistics[key] = t.to(torch::kCPU).clone();
      }
    }
  }
  PredictOptions predict;
  predict.batch_size = options_.batch_size;
  predict.device = options_.device;
  predict.progress = options_.progress;
  const auto start = std::chrono::steady_clock::now();
  torch::Tensor target = images.images;
  if (options_.device.is_cuda() && !target.is_cuda()) target = target.to(options_.device);
  out.logits = predict_logits(model, target, predict);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ledger_.add(stage, secs, images.size());
  forward_seconds_ += secs;
  forward_images_ += images.size();
  out.metrics = classification_metrics(out.logits, images.labels);
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
