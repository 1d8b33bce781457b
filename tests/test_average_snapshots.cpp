#include <catch2/catch.hpp>

#include "formats/input_error.h"
#include "lib/averaging/average_snapshots.h"
#include "test_support.h"

using namespace swa;
using namespace swa::test;

namespace {

AverageRequest uniform(const std::vector<std::string>& inputs, const std::string& output) {
  AverageRequest r;
  r.inputs = inputs;
  r.weights.assign(inputs.size(), 1.0 / static_cast<double>(inputs.size()));
  r.output = output;
  return r;
}

StateDict load(const std::string& path) {
  auto r = open_snapshot(path);
  return read_state_dict(*r);
}

torch::Tensor get(const StateDict& s, const std::string& key) {
  for (const auto& [k, t] : s) {
    if (k == key) return t;
  }
  FAIL("no tensor " << key);
  return {};
}

// Writes a tiny snapshot after `edit` changes its state.
template <typename Edit>
std::string write_edited(const TempDir& dir, const std::string& name, Edit edit,
                         SnapshotMeta meta = tiny_meta(9)) {
  auto state = tiny_state(5);
  edit(state);
  save_snapshot(dir.file(name), meta, state);
  return dir.file(name);
}

}  // namespace

TEST_CASE("the average of N copies of one snapshot is bit-identical to it", "[averaging]") {
  TempDir dir;
  const auto a = write_tiny(dir, "a.h5", 1, 1);
  std::vector<std::string> copies;
  for (int k = 0; k < 7; ++k) {
    copies.push_back(dir.file("copy" + std::to_string(k) + ".h5"));
    std::filesystem::copy_file(a, copies.back());
  }
  for (int n : {1, 3, 7}) {
    const auto out = dir.file("avg" + std::to_string(n) + ".h5");
    average_snapshots(uniform(std::vector<std::string>(copies.begin(), copies.begin() + n), out));
    const auto want = load(a), got = load(out);
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      INFO(want[i].first << " n=" << n);
      CHECK(bit_equal(got[i].second, want[i].second));
    }
  }
}

TEST_CASE("the average does not depend on the order of the inputs, bit for bit", "[averaging]") {
  TempDir dir;
  std::vector<std::string> in;
  for (int i = 0; i < 5; ++i)
    in.push_back(write_tiny(dir, "s" + std::to_string(i) + ".h5", 10 + i, i));
  // Integer buffers come from the base (by default the last input): pin it.
  const std::string base = in[2];
  auto request = uniform(in, dir.file("fwd.h5"));
  request.base = base;
  average_snapshots(request);
  std::reverse(in.begin(), in.end());
  std::swap(in[1], in[3]);
  request = uniform(in, dir.file("perm.h5"));
  request.base = base;
  average_snapshots(request);
  const auto a = load(dir.file("fwd.h5")), b = load(dir.file("perm.h5"));
  for (size_t i = 0; i < a.size(); ++i) CHECK(bit_equal(a[i].second, b[i].second));
}

TEST_CASE("weighted average equals the float64 formula, written in the input dtype",
          "[averaging]") {
  TempDir dir;
  const auto a = write_tiny(dir, "a.h5", 1, 1);
  const auto b = write_tiny(dir, "b.pt", 2, 2);  // formats can be mixed
  const auto c = write_tiny(dir, "c.safetensors", 3, 3);
  AverageRequest r = uniform({a, b, c}, dir.file("out.h5"));
  r.weights = {0.5, 0.3, 0.2};
  const auto summary = average_snapshots(r);
  const auto sa = load(a), sb = load(b), sc = load(c), out = load(dir.file("out.h5"));
  for (size_t i = 0; i < out.size(); ++i) {
    const auto& [key, t] = out[i];
    INFO(key);
    if (!t.is_floating_point()) continue;
    auto want = (sa[i].second.to(torch::kDouble) * 0.5 + sb[i].second.to(torch::kDouble) * 0.3 +
                 sc[i].second.to(torch::kDouble) * 0.2)
                    .to(torch::kFloat);
    CHECK(t.scalar_type() == torch::kFloat);
    CHECK(torch::allclose(t, want, /*rtol=*/0, /*atol=*/1e-6));
  }
  // num_batches_tracked is never averaged: it comes from the base (the last input).
  CHECK(get(out, "bn1.num_batches_tracked").item<int64_t>() == 4);
  CHECK(summary.bn_state == bn_state::kAveraged);
  CHECK(summary.output_meta.provenance["inputs"].size() == 3);
  CHECK(summary.output_meta.provenance["inputs"][0]["sha256"].get<std::string>().size() == 64);
}

TEST_CASE("a layer filter averages matching tensors only, the rest come from the base",
          "[averaging]") {
  TempDir dir;
  const auto a = write_tiny(dir, "a.h5", 1, 1);
  const auto b = write_tiny(dir, "b.h5", 2, 2);
  const auto base = write_tiny(dir, "base.h5", 3, 3);
  AverageRequest r = uniform({a, b}, dir.file("out.h5"));
  r.layers_pattern = "^fc\\.";
  r.base = base;
  const auto summary = average_snapshots(r);
  CHECK(summary.tensors_averaged == 2);
  const auto out = load(dir.file("out.h5")), sbase = load(base), sa = load(a), sb = load(b);
  CHECK(bit_equal(get(out, "conv1.weight"), get(sbase, "conv1.weight")));
  CHECK(bit_equal(get(out, "bn1.running_var"), get(sbase, "bn1.running_var")));
  auto want =
      ((get(sa, "fc.weight").to(torch::kDouble) + get(sb, "fc.weight").to(torch::kDouble)) / 2)
          .to(torch::kFloat);
  CHECK(torch::allclose(get(out, "fc.weight"), want, 0, 1e-7));
  CHECK(summary.bn_state == bn_state::kTrained);  // BN statistics untouched
}

TEST_CASE("a soft threshold shrinks averaged conv/linear weights toward zero and counts zeros",
          "[averaging]") {
  TempDir dir;
  const auto a = write_tiny(dir, "a.h5", 1, 1);
  AverageRequest r = uniform({a}, dir.file("out.h5"));
  r.soft_threshold = 0.5;
  const auto summary = average_snapshots(r);
  const auto in = load(a), out = load(dir.file("out.h5"));
  auto w = get(in, "layer1.0.conv1.weight");
  auto want = w.sign() * (w.abs() - 0.5).clamp_min(0);
  CHECK(torch::allclose(get(out, "layer1.0.conv1.weight"), want, 0, 1e-7));
  CHECK(bit_equal(get(out, "bn1.weight"), get(in, "bn1.weight")));  // 1-d: not thresholded
  CHECK(summary.sparsity() > 0.3);  // |N(0,1)| < 0.5 for ~38% of weights
  CHECK(summary.sparsity() < 0.45);
}

TEST_CASE("inputs that disagree are refused, naming the file and the tensor, with no output",
          "[averaging]") {
  TempDir dir;
  const auto good = write_tiny(dir, "good.h5", 1, 1);
  const auto out = dir.file("out.pt");
  SECTION("a missing tensor") {
    auto bad = write_edited(dir, "bad.h5", [](StateDict& s) { s.pop_back(); });
    CHECK_THROWS_WITH(
        average_snapshots(uniform({good, bad}, out)),
        Catch::Contains(bad) && Catch::Contains("fc.bias") && Catch::Contains("missing"));
  }
  SECTION("an extra tensor") {
    auto bad = write_edited(dir, "bad.h5",
                            [](StateDict& s) { s.emplace_back("extra.weight", torch::ones({1})); });
    CHECK_THROWS_WITH(average_snapshots(uniform({good, bad}, out)),
                      Catch::Contains("extra.weight"));
  }
  SECTION("a different shape") {
    auto bad =
        write_edited(dir, "bad.h5", [](StateDict& s) { s.back().second = torch::zeros({11}); });
    CHECK_THROWS_WITH(
        average_snapshots(uniform({good, bad}, out)),
        Catch::Contains(bad) && Catch::Contains("fc.bias") && Catch::Contains("[11]"));
  }
  SECTION("a different dtype") {
    auto bad = write_edited(
        dir, "bad.h5", [](StateDict& s) { s.back().second = s.back().second.to(torch::kDouble); });
    CHECK_THROWS_WITH(average_snapshots(uniform({good, bad}, out)),
                      Catch::Contains("float64 [10]") && Catch::Contains("float32 [10]"));
  }
  SECTION("a different architecture") {
    auto meta = tiny_meta(2);
    meta.arch = "resnet18-w4";
    auto bad = write_edited(
        dir, "bad.h5", [](StateDict&) {}, meta);
    CHECK_THROWS_WITH(average_snapshots(uniform({good, bad}, out)),
                      Catch::Contains("architecture"));
  }
  SECTION("NaN weights") {
    auto bad = write_edited(dir, "bad.h5", [](StateDict& s) { s[0].second[0][0][0][0] = NAN; });
    CHECK_THROWS_WITH(
        average_snapshots(uniform({good, bad}, out)),
        Catch::Contains(bad) && Catch::Contains("conv1.weight") && Catch::Contains("NaN"));
  }
  SECTION("a corrupt tensor") {
    auto bad = write_edited(
        dir, "bad.h5",
        [](StateDict& s) {
          s[0].second = torch::randn({64, 3, 30, 30});
        },
        [] {
          auto m = tiny_meta(1);
          m.arch = "";
          return m;
        }());
    flip_byte(bad, static_cast<std::streamoff>(std::filesystem::file_size(bad) / 2));
    // Its layout differs too, so compare it with itself: two copies of a corrupt file.
    const auto copy = dir.file("bad-copy.h5");
    std::filesystem::copy_file(bad, copy);
    CHECK_THROWS_WITH(average_snapshots(uniform({bad, copy}, out)), Catch::Contains("checksum"));
  }
  SECTION("an output that is one of the inputs") {
    CHECK_THROWS_WITH(average_snapshots(uniform({good}, good)),
                      Catch::Contains("is an input of this command"));
  }
  SECTION("the same file named twice, by another spelling") {
    const auto dotted =
        (std::filesystem::path(good).parent_path() / "." / std::filesystem::path(good).filename())
            .string();
    CHECK_THROWS_WITH(average_snapshots(uniform({good, dotted}, out)),
                      Catch::Contains(dotted + ": names the same file as " + good));
  }
  SECTION("a missing output folder") {
    CHECK_THROWS_WITH(average_snapshots(uniform({good}, dir.file("no/out.pt"))),
                      Catch::Contains("does not exist"));
  }
  CHECK_FALSE(std::filesystem::exists(out));
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    CHECK(e.path().filename().string().find(".tmp-") == std::string::npos);
  }
}
