#include "lib/report/build_report.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <numeric>

#include "formats/input_error.h"
#include "formats/snapshot_meta.h"
#include "lib/data/image_batches.h"
#include "lib/report/greedy_soup.h"
#include "lib/report/leave_one_out.h"
#include "lib/report/output_covariance.h"
#include "lib/report/prediction_ensemble.h"
#include "lib/report/recommendation.h"
#include "lib/report/snapshot_similarity.h"

namespace swa {
namespace {

using json = nlohmann::json;

json metrics_json(const ClassificationMetrics& m, const std::vector<std::string>& class_names,
                  bool per_class = false) {
  json j = {
      {"images", m.images}, {"top1", m.top1}, {"top5", m.top5}, {"nll", m.nll}, {"ece", m.ece}};
  if (per_class) j["per_class_accuracy"] = metrics_to_json(m, class_names)["per_class_accuracy"];
  return j;
}

SubsetQuality quality(const ClassificationMetrics& m) { return {m.top1, m.nll}; }

json names_of(const SnapshotCollection& s, const std::vector<int>& members) {
  json out = json::array();
  for (int m : members) out.push_back(s[static_cast<size_t>(m)].name);
  return out;
}

json matrix_json(const torch::Tensor& t) {
  json rows = json::array();
  for (int64_t i = 0; i < t.size(0); ++i) {
    json row = json::array();
    for (int64_t j = 0; j < t.size(1); ++j) row.push_back(t[i][j].item<double>());
    rows.push_back(row);
  }
  return rows;
}

std::string shell_quote(const std::string& s) {
  if (s.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:+,") ==
      std::string::npos) {
    return s;
  }
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

json fit_flags(const SnapshotMeta& meta) {
  const auto& p = meta.provenance;
  if (p.is_object() && p.contains("flags") && p["flags"].is_object()) return p["flags"];
  return json::object();
}

class StepLog {
 public:
  explicit StepLog(bool enabled) : enabled_(enabled), start_(std::chrono::steady_clock::now()) {}
  void operator()(const std::string& line) const {
    if (!enabled_) return;
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "swa-report [%6.1fs] %s\n", s, line.c_str());
  }

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

std::string average_command(const std::vector<std::string>& files, const ReportRequest& req) {
  std::string cmd = "swa-average";
  for (const auto& f : files) cmd += " " + shell_quote(f);
  cmd += " -o swa.h5 && swa-bn swa.h5 --data " + shell_quote(req.data.dir);
  if (req.data.validation_size != kDefaultValidationSize) {
    cmd += " --val-size " + std::to_string(req.data.validation_size);
  }
  cmd += " --samples " + std::to_string(req.bn_samples) + " --seed " + std::to_string(req.bn_seed);
  if (req.scoring.bn_augment) cmd += " --augment";
  if (req.scoring.batch_size != 500)
    cmd += " --batch-size " + std::to_string(req.scoring.batch_size);
  return cmd + " -o swa-bn.h5";
}

json build_report(const ReportRequest& req) {
  const auto wall_start = std::chrono::steady_clock::now();
  const StepLog log(req.log);
  ComputeLedger ledger;
  json warnings = json::array();

  log("reading " + std::to_string(req.snapshots.size()) + " snapshots from " + req.source);
  SnapshotCollection snaps = [&] {
    StageTimer t(ledger, "reading snapshots");
    return SnapshotCollection::load(req.snapshots);
  }();
  const int n = static_cast<int>(snaps.size());
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) names.push_back(snaps[static_cast<size_t>(i)].name);

  const auto class_names = cifar10_class_names(req.data.dir);
  ImageSet train, val, test;
  {
    StageTimer t(ledger, "reading data");
    train = load_cifar10(req.data, Split::kTrain);
    val = load_cifar10(req.data, Split::kValidation);
    if (req.evaluate_test) test = load_cifar10(req.data, Split::kTest);
  }
  if (val.size() == 0) {
    throw InputError(req.data.dir,
                     "the report needs a validation split: --val-size must be positive");
  }
  ImageSet bn_images = train.subset(seeded_subset(train.size(), req.bn_samples, req.bn_seed));
  train = ImageSet{};

  for (int i = 0; i < n; ++i) {
    const auto& cfg = snaps[static_cast<size_t>(i)].meta.config;
    if (cfg.is_object() && cfg.contains("val_size") && cfg["val_size"].is_number_integer()) {
      const int64_t trained_val = cfg["val_size"].get<int64_t>();
      if (trained_val != req.data.validation_size) {
        warnings.push_back(names[static_cast<size_t>(i)] + " was trained with --val-size " +
                           std::to_string(trained_val) + ", this report holds out " +
                           std::to_string(req.data.validation_size) +
                           " validation images: some of them were training images for it, so its "
                           "validation scores are optimistic");
        break;
      }
    }
  }
  const bool averaged_bn = [&] {
    for (int i = 0; i < n; ++i) {
      if (snaps[static_cast<size_t>(i)].meta.bn_state == bn_state::kAveraged) return true;
    }
    return false;
  }();
  if (averaged_bn) {
    warnings.push_back(
        "some inputs carry averaged BatchNorm statistics: their own validation scores "
        "are not meaningful (report averages re-estimate BatchNorm anyway)");
  }

  ScoringOptions scoring = req.scoring;
  scoring.bn_seed = req.bn_seed;
  scoring.log = [&log](const std::string& line) { log(line); };
  CandidateScorer scorer(snaps, bn_images, val, scoring, ledger);
  const SubsetScoring score = [&](const std::vector<int>& members) {
    return quality(scorer.validation(members).metrics);
  };

  // Each snapshot on its own.
  std::vector<SubsetQuality> individual;
  std::vector<torch::Tensor> logits;
  json per_snapshot = json::array();
  for (int i = 0; i < n; ++i) {
    const auto& s = scorer.validation({i});
    individual.push_back(quality(s.metrics));
    logits.push_back(s.logits);
    const auto& m = snaps[static_cast<size_t>(i)].meta;
    const json stored = meta_to_json(m);  // NaN (unknown) metrics as null
    per_snapshot.push_back({{"name", names[static_cast<size_t>(i)]},
                            {"path", snaps[static_cast<size_t>(i)].path},
                            {"epoch", m.epoch},
                            {"cycle", m.cycle},
                            {"step", m.step},
                            {"lr", stored["lr"]},
                            {"bn_state", m.bn_state},
                            {"stored",
                             {{"train_loss", stored["train_loss"]},
                              {"train_acc", stored["train_acc"]},
                              {"val_loss", stored["val_loss"]},
                              {"val_acc", stored["val_acc"]}}},
                            {"fit_flags", fit_flags(m)},
                            {"validation", metrics_json(s.metrics, class_names)}});
  }
  const int best_index = static_cast<int>(std::distance(
      individual.begin(), std::min_element(individual.begin(), individual.end(), better_quality)));

  std::vector<int> all(static_cast<size_t>(n));
  std::iota(all.begin(), all.end(), 0);
  const SubsetQuality all_quality = score(all);

  log("leave-one-out");
  const auto loo = leave_one_out(n, all_quality, score);
  log("greedy soup");
  const GreedySoup soup = greedy_soup(individual, score);

  log("prediction ensemble, output covariance, pairwise comparisons");
  const auto ensemble_metrics =
      classification_metrics(ensemble_log_probabilities(logits), val.labels);
  const OutputCovariance cov = output_covariance(logits, req.cpis_top_percent);
  const SubsetQuality cpis_quality = score(cov.top_subset);
  const torch::Tensor disagreement = prediction_disagreement(logits);
  torch::Tensor distances;
  std::vector<double> norms;
  {
    StageTimer t(ledger, "weight distances");
    distances = weight_distances(snaps);
    norms = weight_norms(snaps);
  }

  const Candidate uniform{"uniform average", all, all_quality};
  const Candidate soup_candidate{"greedy soup", soup.members, soup.quality};
  const Candidate cpis_candidate{
      "covariance top " + std::to_string(static_cast<int>(std::lround(req.cpis_top_percent))) + "%",
      cov.top_subset, cpis_quality};
  const Candidate best_single{
      "best single snapshot", {best_index}, individual[static_cast<size_t>(best_index)]};
  log("uniform average with averaged BatchNorm, tail averages");
  const Candidate uniform_bn_averaged{
      "uniform average, BatchNorm averaged", all,
      quality(scorer.validation(all, AverageBatchNorm::kAveraged).metrics), true};
  std::vector<Candidate>
      tails;  // the last k snapshots, as fairseq's and timm's averaging scripts take them
  for (int k = 2; k < n; ++k) {
    std::vector<int> last_k(static_cast<size_t>(k));
    std::iota(last_k.begin(), last_k.end(), n - k);
    tails.push_back({"last " + std::to_string(k) + " snapshots", last_k, score(last_k)});
  }
  std::vector<Candidate> averages;
  if (n > 1) {
    averages = {uniform, uniform_bn_averaged, soup_candidate, cpis_candidate};
    averages.insert(averages.end(), tails.begin(), tails.end());
  }
  const Recommendation rec = recommend(averages, best_single, names);

  // The final candidates on the test split.
  auto bn_of = [](const Candidate& c) {
    return c.bn_averaged ? AverageBatchNorm::kAveraged : AverageBatchNorm::kRecomputed;
  };
  auto test_json = [&](const Candidate& c) -> json {
    if (!req.evaluate_test) return json();
    return metrics_json(scorer.test(c.members, test, bn_of(c)).metrics, class_names, true);
  };
  auto candidate_json = [&](const Candidate& c) {
    return json{
        {"members", names_of(snaps, c.members)},
        {"bn_recomputed", c.members.size() > 1 && !c.bn_averaged},
        {"validation", metrics_json(scorer.validation(c.members, bn_of(c)).metrics, class_names)}};
  };

  json best_json = candidate_json(best_single);
  best_json["name"] = names[static_cast<size_t>(best_index)];
  best_json["test"] = test_json(best_single);
  json uniform_json = candidate_json(uniform);
  uniform_json["test"] = test_json(uniform);
  json uniform_bn_averaged_json = candidate_json(uniform_bn_averaged);
  uniform_bn_averaged_json["test"] = test_json(uniform_bn_averaged);
  json soup_json = candidate_json(soup_candidate);
  soup_json["test"] = test_json(soup_candidate);
  json tails_json = json::array();
  for (const auto& t : tails) {
    json j = candidate_json(t);
    j["last"] = t.members.size();
    tails_json.push_back(j);
  }
  json rec_json = candidate_json(rec.choice);
  rec_json["name"] = rec.choice.name;
  rec_json["reason"] = rec.reason;
  rec_json["test"] = test_json(rec.choice);
  std::vector<std::string> rec_files;
  for (int m : rec.choice.members) rec_files.push_back(snaps[static_cast<size_t>(m)].path);
  if (rec_files.size() == 1) {
    rec_json["command"] = "cp " + shell_quote(rec_files.front()) + " best" +
                          std::filesystem::path(rec_files.front()).extension().string() +
                          "   # no average: the snapshot as training left it";
  } else if (rec.choice.bn_averaged) {
    std::string cmd = "swa-average";
    for (const auto& f : rec_files) cmd += " " + shell_quote(f);
    rec_json["command"] =
        cmd + " -o swa.h5   # BatchNorm statistics averaged with the weights, not re-estimated";
  } else {
    rec_json["command"] = average_command(rec_files, req);
  }

  json loo_json = json::array();
  for (const auto& e : loo) {
    loo_json.push_back({{"dropped", names[static_cast<size_t>(e.dropped)]},
                        {"validation_without", {{"top1", e.without.top1}, {"nll", e.without.nll}}},
                        {"delta_top1", e.delta_top1},
                        {"delta_nll", e.delta_nll},
                        {"harmful", e.harmful}});
  }
  json steps = json::array();
  for (const auto& s : soup.steps) {
    steps.push_back({{"candidate", names[static_cast<size_t>(s.candidate)]},
                     {"individual_top1", individual[static_cast<size_t>(s.candidate)].top1},
                     {"soup_top1", s.with.top1},
                     {"soup_nll", s.with.nll},
                     {"kept", s.kept}});
  }
  soup_json["steps"] = steps;

  const double forward_ips = scorer.forward_images_per_second();
  const double seconds_per_1000 = forward_ips > 0 ? 1000.0 / forward_ips : 0.0;
  json ensemble_json = {{"members", names_of(snaps, all)},
                        {"validation", metrics_json(ensemble_metrics, class_names)},
                        {"forwards_per_image", n},
                        {"parameters_kept", n},
                        {"seconds_per_1000_images", seconds_per_1000 * n},
                        {"compared_with_uniform_average",
                         {{"delta_top1", ensemble_metrics.top1 - all_quality.top1},
                          {"delta_nll", ensemble_metrics.nll - all_quality.nll}}}};
  uniform_json["forwards_per_image"] = 1;
  uniform_json["seconds_per_1000_images"] = seconds_per_1000;

  json importance = json::array();
  for (int i = 0; i < n; ++i)
    importance.push_back({{"name", names[static_cast<size_t>(i)]},
                          {"importance", cov.importance[static_cast<size_t>(i)]}});
  json cov_json = {
      {"outputs", "softmax probabilities on the validation split, one variable per snapshot"},
      {"covariance", matrix_json(cov.covariance)},
      {"eigenvalues", cov.eigenvalues},
      {"explained", cov.explained},
      {"leading_components", cov.leading},
      {"importance", importance},
      {"top_percent", req.cpis_top_percent},
      {"top_subset", candidate_json(cpis_candidate)}};

  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  json compute = ledger.to_json();
  compute["wall_seconds"] = wall;
  compute["device"] = req.scoring.device.str();
  compute["threads"] = torch::get_num_threads();

  json report = {{"schema_version", kReportSchemaVersion},
                 {"producer", producer_string("swa-report")},
                 {"created_utc", utc_now_iso8601()},
                 {"source", req.source},
                 {"arch", snaps.arch()},
                 {"data",
                  {{"dir", req.data.dir},
                   {"validation_size", req.data.validation_size},
                   {"validation_images", val.size()},
                   {"test_images", req.evaluate_test ? json(test.size()) : json()},
                   {"bn_samples", bn_images.size()},
                   {"bn_seed", req.bn_seed},
                   {"bn_augment", req.scoring.bn_augment}}},
                 {"warnings", warnings},
                 {"snapshots", per_snapshot},
                 {"best_single", best_json},
                 {"uniform_average", uniform_json},
                 {"uniform_average_bn_averaged", uniform_bn_averaged_json},
                 {"tail_averages", tails_json},
                 {"leave_one_out", loo_json},
                 {"greedy_soup", soup_json},
                 {"ensemble", ensemble_json},
                 {"output_covariance", cov_json},
                 {"pairwise",
                  {{"names", names},
                   {"disagreement", matrix_json(disagreement)},
                   {"weight_distance", matrix_json(distances)},
                   {"weight_norm", norms}}},
                 {"recommendation", rec_json},
                 {"compute", compute}};
  report["swa_vs_best_single"] = {{"shortfall_points", swa_shortfall_points(report)}};
  log("done in " + std::to_string(static_cast<int>(std::lround(wall))) + " s");
  return report;
}

}  // namespace swa
