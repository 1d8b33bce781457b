#include <catch2/catch.hpp>

#include "formats/input_error.h"
#include "lib/averaging/average_plan.h"
#include "test_support.h"

using namespace swa;
using namespace swa::test;

namespace {
std::vector<int64_t> epochs_1_to(int n) {
  std::vector<int64_t> e;
  for (int i = 1; i <= n; ++i) e.push_back(i);
  return e;
}
std::vector<std::string> names(int n) {
  std::vector<std::string> p;
  for (int i = 1; i <= n; ++i) p.push_back("s" + std::to_string(i));
  return p;
}
}  // namespace

TEST_CASE("selection applies --from-epoch, then --every, then --last", "[averaging]") {
  SelectionOptions o;
  CHECK(select_snapshots(names(6), epochs_1_to(6), o) == std::vector<size_t>{0, 1, 2, 3, 4, 5});
  o.from_epoch = 3;
  CHECK(select_snapshots(names(6), epochs_1_to(6), o) == std::vector<size_t>{2, 3, 4, 5});
  o.every = 2;
  CHECK(select_snapshots(names(6), epochs_1_to(6), o) == std::vector<size_t>{2, 4});
  o.last = 1;
  CHECK(select_snapshots(names(6), epochs_1_to(6), o) == std::vector<size_t>{4});
  o = SelectionOptions{};
  o.from_epoch = 99;
  CHECK_THROWS_AS(select_snapshots(names(6), epochs_1_to(6), o), InputError);
}

TEST_CASE("a folder expands to its snapshots in epoch order, not name order", "[averaging]") {
  TempDir dir;
  write_tiny(dir, "b.h5", 1, 1);
  write_tiny(dir, "a.h5", 2, 2);
  std::ofstream(dir.file("notes.txt")) << "ignored";
  auto files = expand_snapshot_inputs({dir.path().string()}).paths;
  REQUIRE(files.size() == 2);
  CHECK(files[0] == dir.file("b.h5"));
  CHECK(files[1] == dir.file("a.h5"));
  CHECK_THROWS_WITH(expand_snapshot_inputs({dir.file("missing.h5")}),
                    Catch::Contains("no such file"));
  CHECK_THROWS_WITH(expand_snapshot_inputs({dir.file("*.pt")}), Catch::Contains("matches no file"));
}

TEST_CASE("weights: uniform, explicit (normalised), softmax of a metric, EMA", "[averaging]") {
  std::vector<SnapshotMeta> metas(3);
  metas[0].val_acc = 1;
  metas[1].val_acc = 2;
  metas[2].val_acc = 3;
  const auto paths = names(3);
  auto uniform = compute_weights(parse_weighting("", "", std::nullopt), metas, paths);
  CHECK(uniform == std::vector<double>(3, 1.0 / 3));

  auto expl = compute_weights(parse_weighting("1,1,2", "", std::nullopt), metas, paths);
  CHECK(expl[2] == Approx(0.5));
  CHECK_THROWS_WITH(compute_weights(parse_weighting("1,2", "", std::nullopt), metas, paths),
                    Catch::Contains("2 weights for 3"));

  auto soft =
      compute_weights(parse_weighting("", "softmax:val_acc:0.5", std::nullopt), metas, paths);
  const double z = std::exp(2.0) + std::exp(4.0) + std::exp(6.0);
  CHECK(soft[0] == Approx(std::exp(2.0) / z));
  CHECK(soft[2] == Approx(std::exp(6.0) / z));
  auto neg = compute_weights(parse_weighting("", "softmax:-val_acc", std::nullopt), metas, paths);
  CHECK(neg[0] > neg[2]);

  // ema = x1; ema = d*ema + (1-d)*x  =>  weights d^2, (1-d)d, (1-d)
  auto ema = compute_weights(parse_weighting("", "", 0.9), metas, paths);
  CHECK(ema[0] == Approx(0.81));
  CHECK(ema[1] == Approx(0.09));
  CHECK(ema[2] == Approx(0.1));
}

TEST_CASE("weighting flags are validated before any work", "[averaging]") {
  CHECK_THROWS_WITH(parse_weighting("1,x", "", std::nullopt), Catch::Contains("not a number"));
  CHECK_THROWS_WITH(parse_weighting("1,-1", "", std::nullopt), Catch::Contains("non-negative"));
  CHECK_THROWS_WITH(parse_weighting("1", "softmax:val_acc", std::nullopt),
                    Catch::Contains("exclude"));
  CHECK_THROWS_WITH(parse_weighting("", "softmax:val_accuracy", std::nullopt),
                    Catch::Contains("unknown metadata field"));
  CHECK_THROWS_WITH(parse_weighting("", "softmax:val_acc:0", std::nullopt),
                    Catch::Contains("temperature"));
  CHECK_THROWS_WITH(parse_weighting("", "", 1.0), Catch::Contains("[0, 1)"));
  std::vector<SnapshotMeta> metas(2);
  CHECK_THROWS_WITH(
      compute_weights(parse_weighting("", "softmax:val_acc", std::nullopt), metas, names(2)),
      Catch::Contains("s1") && Catch::Contains("val_acc"));
}
