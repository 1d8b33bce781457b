// swa-report's analyses on made-up scores and tiny models, where the right answer is known.
#include <catch2/catch.hpp>

#include "formats/input_error.h"
#include "lib/averaging/average_snapshots.h"
#include "lib/report/batch_summary.h"
#include "lib/report/greedy_soup.h"
#include "lib/report/leave_one_out.h"
#include "lib/report/output_covariance.h"
#include "lib/report/prediction_ensemble.h"
#include "lib/report/recommendation.h"
#include "lib/report/snapshot_collection.h"
#include "lib/report/snapshot_similarity.h"
#include "lib/report/svg_charts.h"
#include "test_support.h"

using namespace swa;
using namespace swa::test;

namespace {

// A scoring where every snapshot is equally good, except `broken`, which ruins any average it
// is part of in proportion to its share.
SubsetScoring scores_with_broken(int broken) {
  return [broken](const std::vector<int>& members) {
    const bool has_broken = std::find(members.begin(), members.end(), broken) != members.end();
    const double share = has_broken ? 1.0 / static_cast<double>(members.size()) : 0.0;
    return SubsetQuality{80.0 - 60.0 * share, 0.5 + 2.0 * share};
  };
}

SnapshotEntry entry(const std::string& name, StateDict state) {
  return SnapshotEntry{name, name, tiny_meta(1), std::move(state)};
}

torch::Tensor tensor_of(const StateDict& s, const std::string& key) {
  for (const auto& [k, t] : s) {
    if (k == key) return t;
  }
  FAIL("no tensor " << key);
  return {};
}

}  // namespace

TEST_CASE("leave-one-out of identical snapshots changes nothing", "[report]") {
  const SubsetScoring same = [](const std::vector<int>&) { return SubsetQuality{75.0, 0.7}; };
  const auto loo = leave_one_out(4, same({0, 1, 2, 3}), same);
  REQUIRE(loo.size() == 4);
  for (const auto& e : loo) {
    CHECK(e.delta_top1 == 0.0);
    CHECK(e.delta_nll == 0.0);
    CHECK_FALSE(e.harmful);
  }
}

TEST_CASE("leave-one-out flags a broken snapshot, and only that one", "[report]") {
  const auto score = scores_with_broken(2);
  const auto loo = leave_one_out(5, score({0, 1, 2, 3, 4}), score);
  REQUIRE(loo.size() == 5);
  for (const auto& e : loo) {
    CHECK(e.harmful == (e.dropped == 2));
  }
  CHECK(loo[2].delta_top1 == Approx(12.0));  // 80 - (80 - 60/5)
  CHECK(loo[2].delta_nll == Approx(-0.4));
  CHECK(loo[0].delta_top1 == Approx(-3.0));  // 12 -> 15 points lost with one fewer good snapshot
}

TEST_CASE("leave-one-out needs two snapshots", "[report]") {
  CHECK(leave_one_out(1, {50, 1}, scores_with_broken(0)).empty());
}

TEST_CASE("greedy soup leaves a broken snapshot out", "[report]") {
  const auto score = scores_with_broken(1);
  std::vector<SubsetQuality> individual = {{70, 0.9}, {20, 2.5}, {72, 0.8}, {71, 0.85}};
  int calls = 0;
  const SubsetScoring counted = [&](const std::vector<int>& m) {
    ++calls;
    return score(m);
  };
  const GreedySoup soup = greedy_soup(individual, counted);
  CHECK(soup.members == std::vector<int>{0, 2, 3});
  REQUIRE(soup.steps.size() == 4);
  // Visited from the best: 2 (72 %), 3, 0, then the broken 1 last.
  CHECK(soup.steps[0].candidate == 2);
  CHECK(soup.steps[1].candidate == 3);
  CHECK(soup.steps[2].candidate == 0);
  CHECK(soup.steps[3].candidate == 1);
  CHECK_FALSE(soup.steps[3].kept);
  CHECK(calls == 4);  // one scoring per step, no more
}

TEST_CASE("greedy soup keeps an ingredient that leaves accuracy unchanged", "[report]") {
  const SubsetScoring flat = [](const std::vector<int>&) { return SubsetQuality{60, 1.0}; };
  const GreedySoup soup = greedy_soup({{60, 1}, {60, 1}, {60, 1}}, flat);
  CHECK(soup.members == std::vector<int>{0, 1, 2});
}

TEST_CASE("ensemble averages probabilities, not logits", "[report]") {
  const auto a = torch::tensor({{0.8f, 0.2f}}).log();
  const auto b = torch::tensor({{0.4f, 0.6f}}).log();
  const auto p = ensemble_log_probabilities({a, b}).exp();
  CHECK(p[0][0].item<float>() == Approx(0.6f));
  CHECK(p[0][1].item<float>() == Approx(0.4f));
}

TEST_CASE("disagreement: zero for identical predictions, the share of differing images otherwise",
          "[report]") {
  const auto a = torch::tensor({{2.f, 0.f}, {0.f, 1.f}, {3.f, 1.f}, {0.f, 5.f}});
  const auto b = torch::tensor({{2.f, 0.f}, {1.f, 0.f}, {3.f, 1.f}, {5.f, 0.f}});
  const auto d = prediction_disagreement({a, a.clone(), b});
  CHECK(d[0][1].item<double>() == 0.0);
  CHECK(d[0][0].item<double>() == 0.0);
  CHECK(d[0][2].item<double>() == Approx(0.5));
  CHECK(d[2][0].item<double>() == Approx(0.5));
}

TEST_CASE("output covariance: identical snapshots share importance equally", "[report]") {
  torch::manual_seed(3);
  const auto logits = torch::randn({50, 10});
  const auto cov = output_covariance({logits, logits, logits, logits}, 50);
  REQUIRE(cov.eigenvalues.size() == 4);
  CHECK(cov.leading == 1);
  CHECK(cov.explained[0] == Approx(1.0));
  CHECK(cov.eigenvalues[1] == Approx(0.0).margin(1e-12));
  const double var =
      torch::softmax(logits.to(torch::kDouble), 1).reshape({-1}).var().item<double>();
  CHECK(cov.eigenvalues[0] == Approx(4 * var));
  for (double share : cov.importance) CHECK(share == Approx(0.25));
  CHECK(cov.top_subset.size() == 2);
}

TEST_CASE("output covariance: an unrelated snapshot carries little of the leading variance",
          "[report]") {
  torch::manual_seed(4);
  const auto shared = torch::randn({200, 10}) * 3;
  std::vector<torch::Tensor> outputs;
  for (int i = 0; i < 4; ++i) outputs.push_back(shared + 0.05 * torch::randn({200, 10}));
  outputs.insert(outputs.begin() + 1, torch::randn({200, 10}) * 3);  // index 1: unrelated
  const auto cov = output_covariance(outputs, 80);
  CHECK(cov.importance[1] < 0.5 * cov.importance[0]);
  double total = 0;
  for (double s : cov.importance) total += s;
  CHECK(total == Approx(1.0));
  CHECK(cov.top_subset == std::vector<int>{0, 2, 3, 4});  // 80 % of 5 = 4, the unrelated one out
}

TEST_CASE("the average of a collection is the float64 mean; counters come from the last member",
          "[report]") {
  auto a = tiny_state(1), b = tiny_state(2);
  SnapshotCollection snaps({entry("a.h5", a), entry("b.h5", b)});
  const auto avg = snaps.average({0, 1});
  const auto key = "layer1.0.conv1.weight";
  const auto expected =
      ((tensor_of(a, key).to(torch::kDouble) + tensor_of(b, key).to(torch::kDouble)) / 2)
          .to(torch::kFloat);
  CHECK(torch::equal(tensor_of(avg, key), expected));
  CHECK(torch::equal(tensor_of(avg, "bn1.num_batches_tracked"),
                     tensor_of(b, "bn1.num_batches_tracked")));
  CHECK(torch::equal(tensor_of(snaps.average({0}), key), tensor_of(a, key)));
}

TEST_CASE("a collection's average is bit for bit the file swa-average writes from its files",
          "[report]") {
  TempDir dir;
  // Members in an order other than their epochs': c.h5 (epoch 3), a.h5 (1), b.h5 (2). One element
  // is 1, 1e20 and -1e20 in them, so the order of the sum shows: by epoch (a, b, c) it is 1/3; in
  // member order the 1 would vanish into 1e20 first and the result would be 0.
  const std::vector<std::string> names = {"c.h5", "a.h5", "b.h5"};
  const float first[3] = {1.0f, 1e20f, -1e20f};
  std::vector<std::string> paths;
  for (size_t i = 0; i < names.size(); ++i) {
    auto state = tiny_state(11 + i);
    tensor_of(state, "fc.bias").view(-1)[0] = first[i];
    save_snapshot(dir.file(names[i]), tiny_meta(i == 0 ? 3 : static_cast<int64_t>(i)), state);
    paths.push_back(dir.file(names[i]));
  }
  const auto in_memory = SnapshotCollection::load(paths).average({0, 1, 2});
  AverageRequest request;
  request.inputs = paths;
  request.weights.assign(3, 1.0 / 3.0);
  request.output = dir.file("swa.h5");
  average_snapshots(request);
  const auto written = read_state_dict(*open_snapshot(request.output));
  REQUIRE(written.size() == in_memory.size());
  for (size_t k = 0; k < written.size(); ++k) {
    INFO(written[k].first);
    CHECK(written[k].first == in_memory[k].first);
    CHECK(torch::equal(written[k].second, in_memory[k].second));
  }
  CHECK(tensor_of(in_memory, "fc.bias")[0].item<float>() == static_cast<float>(1.0 / 3.0));
}

TEST_CASE("a collection refuses snapshots with different tensors", "[report]") {
  auto a = tiny_state(1), b = tiny_state(2);
  b.pop_back();
  CHECK_THROWS_AS(SnapshotCollection({entry("a.h5", a), entry("b.h5", b)}), InputError);
}

TEST_CASE("a collection refuses a snapshot with NaN weights, naming the file and tensor",
          "[report]") {
  TempDir dir;
  auto state = tiny_state(1);
  save_snapshot(dir.file("good.h5"), tiny_meta(1), state);
  state[0].second.view(-1)[0] = std::nanf("");
  save_snapshot(dir.file("bad.h5"), tiny_meta(2), state);
  try {
    SnapshotCollection::load({dir.file("good.h5"), dir.file("bad.h5")});
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK_THAT(e.what(), Catch::Contains("bad.h5") && Catch::Contains(state[0].first) &&
                             Catch::Contains("NaN"));
  }
}

TEST_CASE(
    "weight distance: zero to itself, the L2 norm of the difference, BatchNorm statistics ignored",
    "[report]") {
  auto a = tiny_state(1);
  auto b = a;
  for (auto& [k, t] : b) t = t.clone();
  tensor_of(b, "fc.bias")
      .add_(torch::full_like(tensor_of(b, "fc.bias"), 0.5));  // 10 values, +0.5 each
  tensor_of(b, "bn1.running_mean").add_(100.0);               // not a trained weight
  SnapshotCollection snaps({entry("a.h5", a), entry("b.h5", b), entry("c.h5", a)});
  const auto d = weight_distances(snaps);
  CHECK(d[0][2].item<double>() == 0.0);
  CHECK(d[0][1].item<double>() == Approx(std::sqrt(10 * 0.25)));
  CHECK(d[1][0].item<double>() == Approx(d[0][1].item<double>()));
}

TEST_CASE(
    "recommendation: the best average; among equals the larger; a better single snapshot wins",
    "[report]") {
  const std::vector<std::string> names = {"a", "b", "c", "d"};
  const Candidate all{"uniform average", {0, 1, 2, 3}, {75, 0.8}};
  const Candidate soup{"greedy soup", {1, 2}, {75, 0.8}};
  const Candidate cpis{"covariance top 50%", {0, 1}, {74, 0.7}};
  const Candidate single{"best single snapshot", {2}, {73, 0.9}};
  CHECK(recommend({soup, all, cpis}, single, names).choice.name == "uniform average");
  const Candidate better_soup{"greedy soup", {1, 2}, {76, 0.9}};
  CHECK(recommend({all, better_soup, cpis}, single, names).choice.name == "greedy soup");
  const Candidate great_single{"best single snapshot", {2}, {80, 0.5}};
  const auto r = recommend({all, soup, cpis}, great_single, names);
  CHECK(r.choice.members == std::vector<int>{2});
  CHECK_THAT(r.reason, Catch::Contains("no average beat"));
  // A greedy soup that kept only its first snapshot is that snapshot, not an average.
  const Candidate lonely_soup{"greedy soup", {2}, {80, 0.5}};
  const auto lonely = recommend({all, lonely_soup, cpis}, great_single, names);
  CHECK(lonely.choice.name == "best single snapshot");
  CHECK_THAT(lonely.reason,
             Catch::Contains("no average beat") && Catch::Contains("uniform average"));
}

TEST_CASE("batch summary: the gate marks runs where SWA trails the best snapshot by more than TOL",
          "[report]") {
  auto report = [](double swa, double best) {
    nlohmann::json member = {{"top1", 0.0}};
    return nlohmann::json{
        {"snapshots", nlohmann::json::array({1, 2})},
        {"best_single", {{"name", "x.h5"}, {"validation", {{"top1", best}}}}},
        {"uniform_average", {{"validation", {{"top1", swa}}}}},
        {"greedy_soup", {{"members", {"x.h5"}}, {"validation", {{"top1", best}}}}},
        {"recommendation",
         {{"name", "greedy soup"},
          {"members", {"x.h5"}},
          {"validation", {{"top1", best}}},
          {"test", nullptr}}},
        {"compute", {{"total_seconds", 1.0}}}};
  };
  const std::vector<RunOutcome> runs = {{"good", "good", report(80, 79), ""},
                                        {"close", "close", report(79.6, 80), ""},
                                        {"bad", "bad", report(70, 80), ""},
                                        {"broken", "", nullptr, "x.h5: not an HDF5 file"}};
  const auto s = batch_summary(runs, 0.5);
  CHECK(s["failed_gate"] == nlohmann::json::array({"bad"}));
  CHECK(s["errors"] == nlohmann::json::array({"broken"}));
  CHECK(s["runs"][0]["status"] == "ok");
  CHECK(s["runs"][1]["status"] == "ok");  // 0.4 points behind: within TOL
  CHECK(s["runs"][2]["shortfall_points"].get<double>() == Approx(10.0));
  CHECK(batch_summary(runs, std::nullopt)["failed_gate"].empty());
  CHECK_THAT(batch_summary_markdown(s),
             Catch::Contains("**worse**") && Catch::Contains("**error**"));
}

TEST_CASE("SVG text is escaped", "[report]") {
  BarChart c;
  c.title = "a < b & \"c\"";
  c.labels = {"<x>"};
  c.values = {1.0};
  const auto svg = svg_bar_chart(c);
  CHECK_THAT(svg, Catch::Contains("a &lt; b &amp; &quot;c&quot;") && Catch::Contains("&lt;x&gt;"));
  CHECK(svg.find("<x>") == std::string::npos);
}
