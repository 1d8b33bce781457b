#include "lib/report/report_json.h"

#include <cmath>

#include "lib/report/report_schema.h"

namespace swa {
namespace {

using json = nlohmann::json;

json metrics_json(const ClassificationMetrics& m, const std::vector<std::string>& class_names,
                  bool per_class = false) {
  json j = {{"images", m.images},
            {"top1", m.top1},
            {"top5", std::isnan(m.top5) ? nlohmann::json() : nlohmann::json(m.top5)},
            {"nll", m.nll},
            {"ece", m.ece}};
  if (per_class) j["per_class_accuracy"] = metrics_to_json(m, class_names).at("per_class_accuracy");
  return j;
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

json fit_flags(const SnapshotMeta& meta) {
  const auto& p = meta.provenance;
  if (p.is_object() && p.contains("flags") && p.at("flags").is_object()) return p.at("flags");
  return json::object();
}

// The labels of `members` among `names`.
json member_names(const std::vector<int>& members, const std::vector<std::string>& names) {
  json out = json::array();
  for (int m : members) out.push_back(names[static_cast<size_t>(m)]);
  return out;
}

// A candidate: its members, how its BatchNorm statistics came about, its validation scores and,
// when evaluated, its test scores (with per-class accuracy).
json candidate_json(const ScoredCandidate& c, const Report& r, bool with_test = true) {
  json j = {{"members", member_names(c.candidate.members, r.names())},
            {"bn_recomputed", c.candidate.members.size() > 1 && !c.candidate.bn_averaged},
            {"validation", metrics_json(c.validation, r.class_names)}};
  if (with_test) j["test"] = c.test ? metrics_json(*c.test, r.class_names, true) : json();
  return j;
}

// One snapshot's entry: what its file says (epoch, stored metrics, fit flags) and its score.
json snapshot_json(const SnapshotScore& s, const std::vector<std::string>& class_names) {
  const auto& m = s.meta;
  const json stored = meta_to_json(m);  // NaN (unknown) metrics as null
  return {{"name", s.name},
          {"path", s.path},
          {"epoch", m.epoch},
          {"cycle", m.cycle},
          {"step", m.step},
          {"lr", stored.at("lr")},
          {"bn_state", m.bn_state},
          {"stored",
           {{"train_loss", stored.at("train_loss")},
            {"train_acc", stored.at("train_acc")},
            {"val_loss", stored.at("val_loss")},
            {"val_acc", stored.at("val_acc")}}},
          {"fit_flags", fit_flags(m)},
          {"validation", metrics_json(s.validation, class_names)}};
}

json leave_one_out_json(const std::vector<LeaveOneOut>& loo,
                        const std::vector<std::string>& names) {
  json out = json::array();
  for (const auto& e : loo) {
    out.push_back({{"dropped", names[static_cast<size_t>(e.dropped)]},
                   {"validation_without", {{"top1", e.without.top1}, {"nll", e.without.nll}}},
                   {"delta_top1", e.delta_top1},
                   {"delta_nll", e.delta_nll},
                   {"harmful", e.harmful}});
  }
  return out;
}

json soup_steps_json(const GreedySoup& soup, const std::vector<SubsetQuality>& individual,
                     const std::vector<std::string>& names) {
  json steps = json::array();
  for (const auto& s : soup.steps) {
    steps.push_back({{"candidate", names[static_cast<size_t>(s.candidate)]},
                     {"individual_top1", individual[static_cast<size_t>(s.candidate)].top1},
                     {"soup_top1", s.with.top1},
                     {"soup_nll", s.with.nll},
                     {"kept", s.kept}});
  }
  return steps;
}

json covariance_json(const Report& r) {
  const OutputCovariance& cov = r.covariance;
  const auto names = r.names();
  json importance = json::array();
  for (size_t i = 0; i < names.size(); ++i)
    importance.push_back({{"name", names[i]}, {"importance", cov.importance[i]}});
  return {{"outputs", "softmax probabilities on the validation split, one variable per snapshot"},
          {"covariance", matrix_json(cov.covariance)},
          {"eigenvalues", cov.eigenvalues},
          {"explained", cov.explained},
          {"leading_components", cov.leading},
          {"importance", importance},
          {"top_percent", r.covariance_top_percent},
          {"top_subset", candidate_json(r.covariance_top, r, false)}};
}

json ensemble_json(const Report& r) {
  const int64_t n = static_cast<int64_t>(r.snapshots.size());
  const auto& all = r.uniform_average;
  return {{"members", member_names(all.candidate.members, r.names())},
          {"validation", metrics_json(r.ensemble, r.class_names)},
          {"forwards_per_image", n},
          {"parameters_kept", n},
          {"seconds_per_1000_images", r.seconds_per_1000_images * static_cast<double>(n)},
          {"compared_with_uniform_average",
           {{"delta_top1", r.ensemble.top1 - all.candidate.validation.top1},
            {"delta_nll", r.ensemble.nll - all.candidate.validation.nll}}}};
}

}  // namespace

nlohmann::json report_to_json(const Report& r) {
  const auto names = r.names();
  json snapshots = json::array();
  for (const auto& s : r.snapshots) snapshots.push_back(snapshot_json(s, r.class_names));

  json best = candidate_json(r.best_single, r);
  best["name"] = names[static_cast<size_t>(r.best_single.candidate.members.at(0))];
  json uniform = candidate_json(r.uniform_average, r);
  uniform["forwards_per_image"] = 1;
  uniform["seconds_per_1000_images"] = r.seconds_per_1000_images;
  json soup = candidate_json(r.greedy_soup_scores, r);
  soup["steps"] = soup_steps_json(r.greedy_soup, r.individual, names);
  json tails = json::array();
  for (const auto& t : r.tail_averages) {
    json j = candidate_json(t, r, false);
    j["last"] = t.candidate.members.size();
    tails.push_back(j);
  }
  json rec = candidate_json(r.recommendation, r);
  rec["name"] = r.recommendation.candidate.name;
  rec["reason"] = r.recommendation_reason;
  rec["command"] = r.recommendation_command;

  json compute = r.compute.to_json();
  compute["wall_seconds"] = r.wall_seconds;
  compute["device"] = r.device;
  compute["threads"] = r.threads;

  json report = {{"schema_version", kReportSchemaVersion},
                 {"producer", r.producer},
                 {"created_utc", r.created_utc},
                 {"source", r.source},
                 {"arch", r.arch},
                 {"data",
                  {{"dir", r.data.dir},
                   {"validation_size", r.data.validation_size},
                   {"validation_images", r.data.validation_images},
                   {"test_images", r.data.test_images ? json(*r.data.test_images) : json()},
                   {"bn_samples", r.data.bn_samples},
                   {"bn_seed", r.data.bn_seed},
                   {"bn_augment", r.data.bn_augment}}},
                 {"warnings", r.warnings},
                 {"snapshots", snapshots},
                 {"best_single", best},
                 {"uniform_average", uniform},
                 {"uniform_average_bn_averaged", candidate_json(r.uniform_average_bn_averaged, r)},
                 {"tail_averages", tails},
                 {"leave_one_out", leave_one_out_json(r.leave_one_out, names)},
                 {"greedy_soup", soup},
                 {"ensemble", ensemble_json(r)},
                 {"output_covariance", covariance_json(r)},
                 {"pairwise",
                  {{"names", names},
                   {"disagreement", matrix_json(r.disagreement)},
                   {"weight_distance", matrix_json(r.weight_distance)},
                   {"weight_norm", r.weight_norms}}},
                 {"recommendation", rec},
                 {"compute", compute}};
  report["swa_vs_best_single"] = {{"shortfall_points", swa_shortfall_points(report)}};
  return report;
}

}  // namespace swa
