// The byte layer under the tools: piecewise fletcher32, chunked HDF5 read without the library,
// conversions that round as torch does, and the digest cache.
#include <catch2/catch.hpp>

#include <random>
#include <thread>

#include "formats/digest_cache.h"
#include "formats/file_digest.h"
#include "formats/fletcher32.h"
#include "formats/input_error.h"
#include "lib/averaging/average_snapshots.h"
#include "lib/averaging/element_conversion.h"
#include "lib/averaging/input_digests.h"
#include "test_support.h"

using namespace swa;
using namespace swa::test;

namespace {

// HDF5's H5_checksum_fletcher32 as its documentation defines it, one word at a time.
uint32_t reference_fletcher32(const std::vector<uint8_t>& data) {
  uint32_t sum1 = 0, sum2 = 0;
  size_t words = data.size() / 2;
  const uint8_t* p = data.data();
  while (words) {
    size_t block = std::min<size_t>(words, 360);
    words -= block;
    do {
      sum1 += (uint32_t{p[0]} << 8) | p[1];
      p += 2;
      sum2 += sum1;
    } while (--block);
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
  }
  if (data.size() % 2) {
    sum1 += uint32_t{*p} << 8;
    sum2 += sum1;
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
  }
  sum1 = (sum1 & 0xffff) + (sum1 >> 16);
  sum2 = (sum2 & 0xffff) + (sum2 >> 16);
  return (sum2 << 16) | sum1;
}

std::vector<uint8_t> random_bytes(size_t n, uint8_t fill_max, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng() % (uint32_t{fill_max} + 1));
  return v;
}

}  // namespace

TEST_CASE("fletcher32 summed in pieces, in any order, equals HDF5's", "[formats][streaming]") {
  for (size_t n : {size_t{1}, size_t{2}, size_t{15}, size_t{16}, size_t{17}, size_t{4096},
                   size_t{100001}, size_t{1} << 20}) {
    for (uint8_t max : {uint8_t{0}, uint8_t{1}, uint8_t{255}}) {
      INFO("bytes " << n << ", values up to " << int(max));
      const auto data = random_bytes(n, max, static_cast<unsigned>(n + max));
      Fletcher32 whole;
      whole.add(data.data(), static_cast<int64_t>(n), 0, static_cast<int64_t>(n));
      CHECK(whole.value() == reference_fletcher32(data));
      // Pieces of uneven (even) sizes, summed back to front and merged.
      Fletcher32 merged;
      int64_t end = static_cast<int64_t>(n);
      int64_t piece = 6;
      while (end > 0) {
        int64_t begin = std::max<int64_t>(0, end - piece);
        begin -= begin % 2;
        Fletcher32 part;
        part.add(data.data() + begin, end - begin, begin, static_cast<int64_t>(n));
        merged.merge(part);
        end = begin;
        piece = piece * 3 + 2;
      }
      CHECK(merged.value() == reference_fletcher32(data));
    }
  }
  std::vector<uint8_t> all_ones(1000, 0xff);  // residue 0 is written 0xffff, never 0
  Fletcher32 f;
  f.add(all_ones.data(), 1000, 0, 1000);
  CHECK(f.value() == reference_fletcher32(all_ones));
}

TEST_CASE("a tensor stored in several HDF5 chunks is read directly, and each chunk is checked",
          "[formats][streaming]") {
  TempDir dir;
  // 1100 x 4096 float32 = 17.2 MiB: two chunks of 1024 rows, the second stored padded.
  StateDict s = {{"wide.weight", torch::randn({1100, 4096})}, {"wide.bias", torch::randn({1100})}};
  const auto path = dir.file("a.h5");
  save_snapshot(path, tiny_meta(1), s);
  const auto file = open_tensor_file(path);
  CHECK(file->reads_any_range());
  CHECK(file->segment_ends(0) == std::vector<int64_t>{1024 * 4096 * 4, 1100 * 4096 * 4});
  auto r = open_snapshot(path);
  CHECK(bit_equal(r->read("wide.weight"), s[0].second));
  CHECK(bit_equal(r->read("wide.bias"), s[1].second));
  // A byte of the second (edge) chunk: 1050 rows in, where only that chunk lies.
  const auto size = std::filesystem::file_size(path);
  flip_byte(path, static_cast<std::streamoff>(size - 200 * 1024));
  auto broken = open_snapshot(path);
  CHECK_THROWS_WITH(broken->read("wide.weight"), Catch::Contains(path) &&
                                                     Catch::Contains("wide.weight") &&
                                                     Catch::Contains("checksum"));
}

TEST_CASE("averages are written in float16 and bfloat16 exactly as torch rounds them",
          "[formats][streaming]") {
  // Random values over the whole half range, subnormals, ties, overflow and signed zeros.
  auto values = torch::cat(
      {torch::randn({20000}, torch::kDouble) * 1000, torch::randn({20000}, torch::kDouble) * 1e-6,
       torch::tensor(
           {0.0, -0.0, 65504.0, 65519.99, 65520.0, 70000.0, -1e6, 5.960464477539063e-08,
            2.98023223876953125e-08, 1.0009765625, 1.00048828125, 6.103515625e-05, 3.4e38, 1e-45},
           torch::kDouble)});
  for (auto [type, dtype] : {std::pair{ElementType::kFloat16, torch::kHalf},
                             std::pair{ElementType::kBFloat16, torch::kBFloat16},
                             std::pair{ElementType::kFloat32, torch::kFloat}}) {
    INFO(element_type_name(type));
    torch::Tensor ours = torch::empty(values.sizes(), dtype);
    store_elements(values.data_ptr<double>(), values.numel(), type, ours.data_ptr());
    CHECK(bit_equal(ours, values.to(dtype)));
    // And back: accumulating with weight 1 reproduces torch's widening (0 + -0 is +0, so
    // values are compared, not bits).
    torch::Tensor acc = torch::zeros(values.sizes(), torch::kDouble);
    add_weighted_elements(acc.data_ptr<double>(), ours.data_ptr(), type, ours.numel(), 1.0);
    CHECK(torch::equal(acc, ours.to(torch::kDouble)));
  }
}

TEST_CASE("the average is the same whatever container and chunk layout the inputs use",
          "[formats][streaming]") {
  TempDir dir;
  const auto a = tiny_state(1), b = tiny_state(2), c = tiny_state(3);
  save_snapshot(dir.file("a.h5"), tiny_meta(1), a);
  WriteOptions compressed;
  compressed.compress = true;
  save_snapshot(dir.file("b.h5"), tiny_meta(2), b, compressed);  // read through the library
  save_snapshot(dir.file("c.safetensors"), tiny_meta(3), c);
  save_snapshot(dir.file("c.h5"), tiny_meta(3), c);
  AverageRequest mixed;
  mixed.inputs = {dir.file("a.h5"), dir.file("b.h5"), dir.file("c.safetensors")};
  mixed.weights = {0.5, 0.25, 0.25};
  mixed.output = dir.file("mixed.h5");
  AverageRequest plain = mixed;
  save_snapshot(dir.file("b-plain.h5"), tiny_meta(2), b);
  plain.inputs = {dir.file("a.h5"), dir.file("b-plain.h5"), dir.file("c.h5")};
  plain.output = dir.file("plain.h5");
  for (int threads : {1, 3}) {
    mixed.threads = plain.threads = threads;
    average_snapshots(mixed);
    average_snapshots(plain);
    auto m = open_snapshot(mixed.output), p = open_snapshot(plain.output);
    for (const auto& info : p->layout()) {
      INFO(info.key << " with " << threads << " thread(s)");
      CHECK(bit_equal(m->read(info.key), p->read(info.key)));
    }
  }
}

TEST_CASE("the digest cache answers only for files unchanged since they were hashed",
          "[formats][streaming]") {
  TempDir dir;
  const auto path = dir.file("a.bin");
  { std::ofstream(path) << "first contents"; }
  const DigestCache cache(dir.file("cache"));
  CHECK_FALSE(cache.find(path).has_value());
  const auto digests = input_digests({path}, {*identity_of(path)}, 1, cache);
  CHECK(digests[0] == sha256_file(path));
  REQUIRE(cache.find(path) == digests[0]);
  // Same size, new bytes: the status-change time moves, so the entry no longer applies.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  { std::ofstream(path) << "other contents"; }
  CHECK_FALSE(cache.find(path).has_value());
  CHECK(input_digests({path}, {*identity_of(path)}, 1, cache)[0] == sha256_file(path));
  CHECK(sha256_file(path) != digests[0]);
  // A disabled cache never answers.
  CHECK_FALSE(DigestCache("").find(path).has_value());
}
