#include "lib/report/build_report.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <numeric>
#include <sstream>

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

SubsetQuality quality(const ClassificationMetrics& m) { return {m.top1, m.nll}; }

// "0.5,0.25": --mean/--std as the command line takes them.
std::string join_numbers(const std::vector<double>& values) {
  std::string out;
  for (const double v : values) {
    std::ostringstream one;
    one << v;
    out += (out.empty() ? "" : ",") + one.str();
  }
  return out;
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

class StepLog {
 public:
  explicit StepLog(std::string prefix)
      : prefix_(std::move(prefix)), start_(std::chrono::steady_clock::now()) {}
  void operator()(const std::string& line) const {
    if (prefix_.empty()) return;
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "%s [%6.1fs] %s\n", prefix_.c_str(), s, line.c_str());
  }

 private:
  std::string prefix_;
  std::chrono::steady_clock::time_point start_;
};

// What makes some of the inputs' own scores misleading: trained with another validation
// hold-out (their validation images were training images), or averaged BatchNorm statistics.
std::vector<std::string> input_warnings(const SnapshotCollection& snaps, int64_t validation_size) {
  std::vector<std::string> out;
  for (size_t i = 0; i < snaps.size(); ++i) {
    const auto& cfg = snaps[i].meta.config;
    if (cfg.is_object() && cfg.contains("val_size") && cfg.at("val_size").is_number_integer()) {
      const int64_t trained_val = cfg.at("val_size").get<int64_t>();
      if (trained_val != validation_size) {
        out.push_back(snaps[i].name + " was trained with --val-size " +
                      std::to_string(trained_val) + ", this report holds out " +
                      std::to_string(validation_size) +
                      " validation images: some of them were training images for it, so its "
                      "validation scores are optimistic");
        break;
      }
    }
  }
  for (size_t i = 0; i < snaps.size(); ++i) {
    if (snaps[i].meta.bn_state == bn_state::kAveraged) {
      out.push_back(
          "some inputs carry averaged BatchNorm statistics: their own validation scores "
          "are not meaningful (report averages re-estimate BatchNorm anyway)");
      break;
    }
  }
  return out;
}

// The command that writes the recommended model: a copy, an average with averaged BatchNorm, or
// an average then swa-bn on the report's own BatchNorm images (average_command).
std::string recommended_command(const Candidate& choice, const SnapshotCollection& snaps,
                                const ReportRequest& req) {
  std::vector<std::string> files;
  for (int m : choice.members) files.push_back(snaps[static_cast<size_t>(m)].path);
  if (files.size() == 1) {
    return "cp " + shell_quote(files.front()) + " best" +
           std::filesystem::path(files.front()).extension().string() +
           "   # no average: the snapshot as training left it";
  }
  if (choice.bn_averaged) {
    std::string cmd = "swa-average";
    for (const auto& f : files) cmd += " " + shell_quote(f);
    return cmd + " -o swa.h5   # BatchNorm statistics averaged with the weights, not re-estimated";
  }
  return average_command(files, req);
}

}  // namespace

std::string average_command(const std::vector<std::string>& files, const ReportRequest& req) {
  std::string cmd = "swa-average";
  for (const auto& f : files) cmd += " " + shell_quote(f);
  cmd += " -o swa.h5 && swa-bn swa.h5";
  if (!req.model.empty()) cmd += " --model " + shell_quote(req.model);
  if (!req.bn_data.empty()) {
    cmd += " --data " + shell_quote(req.bn_data);
    if (!req.tensors.mean.empty()) cmd += " --mean " + join_numbers(req.tensors.mean);
    if (!req.tensors.std.empty()) cmd += " --std " + join_numbers(req.tensors.std);
    if (req.tensors.input_key != "inputs")
      cmd += " --input-key " + shell_quote(req.tensors.input_key);
  } else {
    cmd += " --data " + shell_quote(req.data.dir);
    if (req.data.validation_size != kDefaultValidationSize) {
      cmd += " --val-size " + std::to_string(req.data.validation_size);
    }
    cmd +=
        " --samples " + std::to_string(req.bn_samples) + " --seed " + std::to_string(req.bn_seed);
    if (req.scoring.bn_augment) cmd += " --augment";
  }
  if (req.scoring.batch_size != 500)
    cmd += " --batch-size " + std::to_string(req.scoring.batch_size);
  return cmd + " -o swa-bn.h5";
}

// What the averages are measured against: every snapshot (`all`), the covariance subset's
// quality, and the best single snapshot.
struct CandidateBasis {
  std::vector<int> all;
  SubsetQuality all_quality, cpis_quality;
  int best_index = 0;
};

// The averages the report weighs against the best single snapshot (uniform, BatchNorm averaged,
// greedy soup, covariance subset, the last k), each scored on the validation split and the final
// ones on the test split too, and the recommendation among them.
void score_candidates(Report& report, CandidateScorer& scorer, const SnapshotCollection& snaps,
                      const ReportRequest& req, const SubsetScoring& score,
                      const CandidateBasis& basis, bool evaluate_test, const StepLog& log) {
  const int n = static_cast<int>(snaps.size());
  const std::vector<int>& all = basis.all;
  const auto& individual = report.individual;
  const int best_index = basis.best_index;
  const SubsetQuality& all_quality = basis.all_quality;
  const SubsetQuality& cpis_quality = basis.cpis_quality;
  const Candidate uniform{"uniform average", all, all_quality};
  const Candidate soup{"greedy soup", report.greedy_soup.members, report.greedy_soup.quality};
  const Candidate cpis{
      "covariance top " + std::to_string(static_cast<int>(std::lround(req.cpis_top_percent))) + "%",
      report.covariance.top_subset, cpis_quality};
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
    averages = {uniform, uniform_bn_averaged, soup, cpis};
    averages.insert(averages.end(), tails.begin(), tails.end());
  }
  const Recommendation rec = recommend(averages, best_single, report.names());

  // Every candidate's validation scores; the final candidates' on the test split too.
  auto scored = [&](const Candidate& c, bool final_candidate) {
    const AverageBatchNorm bn =
        c.bn_averaged ? AverageBatchNorm::kAveraged : AverageBatchNorm::kRecomputed;
    ScoredCandidate out{c, scorer.validation(c.members, bn).metrics, std::nullopt};
    if (final_candidate && evaluate_test) out.test = scorer.test(c.members, bn).metrics;
    return out;
  };
  report.best_single = scored(best_single, true);
  report.uniform_average = scored(uniform, true);
  report.uniform_average_bn_averaged = scored(uniform_bn_averaged, true);
  report.greedy_soup_scores = scored(soup, true);
  for (const auto& t : tails) report.tail_averages.push_back(scored(t, false));
  report.covariance_top = scored(cpis, false);
  report.recommendation = scored(rec.choice, true);
  report.recommendation_reason = rec.reason;
  report.recommendation_command = recommended_command(rec.choice, snaps, req);
}

Report build_report(const ReportRequest& req) {
  const auto wall_start = std::chrono::steady_clock::now();
  const StepLog log(req.log_prefix);
  Report report;
  report.producer = producer_string("swa-report");
  report.created_utc = utc_now_iso8601();
  report.source = req.source;
  ComputeLedger& ledger = report.compute;

  log("reading " + std::to_string(req.snapshots.size()) + " snapshots from " + req.source);
  SnapshotCollection snaps = [&] {
    StageTimer t(ledger, "reading snapshots");
    return SnapshotCollection::load(req.snapshots, req.model.empty(), req.state_dict_key);
  }();
  const int n = static_cast<int>(snaps.size());
  const std::unique_ptr<CandidateModel> model = report_candidate_model(req, snaps, ledger);
  report.arch = model->architecture();
  for (const auto& note : model->notes()) log(note);
  const bool evaluate_test = req.evaluate_test && model->has_test();
  report.class_names = model->class_names();
  report.data = {
      req.bn_data.empty() ? req.data.dir : req.val_data,
      req.data.validation_size,
      model->images(ReportSplit::kValidation),
      evaluate_test ? std::optional<int64_t>(model->images(ReportSplit::kTest)) : std::nullopt,
      model->batchnorm_images(),
      req.bn_seed,
      req.scoring.bn_augment && model->augments_batchnorm_data()};
  report.warnings = input_warnings(snaps, req.data.validation_size);

  ScoringOptions scoring = req.scoring;
  scoring.bn_seed = req.bn_seed;
  scoring.bn_augment = report.data.bn_augment;
  scoring.log = [&log](const std::string& line) { log(line); };
  CandidateScorer scorer(snaps, *model, scoring, ledger);
  const SubsetScoring score = [&](const std::vector<int>& members) {
    return quality(scorer.validation(members).metrics);
  };

  // Each snapshot on its own.
  std::vector<torch::Tensor> logits;
  for (int i = 0; i < n; ++i) {
    const auto& s = scorer.validation({i});
    report.individual.push_back(quality(s.metrics));
    logits.push_back(s.logits);
    const SnapshotEntry& e = snaps[static_cast<size_t>(i)];
    report.snapshots.push_back({e.name, e.path, e.meta, s.metrics});
  }
  const auto& individual = report.individual;
  const int best_index = static_cast<int>(std::distance(
      individual.begin(), std::min_element(individual.begin(), individual.end(), better_quality)));

  std::vector<int> all(static_cast<size_t>(n));
  std::iota(all.begin(), all.end(), 0);
  const SubsetQuality all_quality = score(all);

  log("leave-one-out");
  report.leave_one_out = leave_one_out(n, all_quality, score);
  log("greedy soup");
  report.greedy_soup = greedy_soup(individual, score);

  log("prediction ensemble, output covariance, pairwise comparisons");
  report.ensemble = classification_metrics(ensemble_log_probabilities(logits),
                                           model->labels(ReportSplit::kValidation));
  report.covariance = output_covariance(logits, req.cpis_top_percent);
  report.covariance_top_percent = req.cpis_top_percent;
  const SubsetQuality cpis_quality = score(report.covariance.top_subset);
  report.disagreement = prediction_disagreement(logits);
  {
    StageTimer t(ledger, "weight distances");
    report.weight_distance = weight_distances(snaps);
    report.weight_norms = weight_norms(snaps);
  }

  score_candidates(report, scorer, snaps, req, score, {all, all_quality, cpis_quality, best_index},
                   evaluate_test, log);

  const double forward_ips = scorer.forward_images_per_second();
  report.seconds_per_1000_images = forward_ips > 0 ? 1000.0 / forward_ips : 0.0;
  report.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  report.device = req.scoring.device.str();
  report.threads = torch::get_num_threads();
  log("done in " + std::to_string(static_cast<int>(std::lround(report.wall_seconds))) + " s");
  return report;
}

}  // namespace swa
