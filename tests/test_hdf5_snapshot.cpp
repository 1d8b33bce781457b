#include <catch2/catch.hpp>

#include "formats/input_error.h"
#include "test_support.h"

using namespace swa;
using namespace swa::test;

TEST_CASE("HDF5 snapshot round-trips tensors bit for bit, in order, with metadata",
          "[formats][hdf5]") {
  TempDir dir;
  const auto state = tiny_state(1);
  auto meta = tiny_meta(3);
  meta.created_utc = "2026-11-26T00:00:00Z";
  save_snapshot(dir.file("a.h5"), meta, state);
  auto reader = open_snapshot(dir.file("a.h5"));
  REQUIRE(reader->layout().size() == state.size());
  for (size_t i = 0; i < state.size(); ++i) {
    CHECK(reader->layout()[i].key == state[i].first);
    CHECK(bit_equal(reader->read(state[i].first), state[i].second));
  }
  const auto& m = reader->meta();
  CHECK(m.arch == kTinyArch);
  CHECK(m.num_classes == 10);
  CHECK(m.epoch == 3);
  CHECK(m.step == 30);
  CHECK(m.val_acc == Approx(53.0));
  CHECK(std::isnan(m.train_loss));
  CHECK(m.created_utc == "2026-11-26T00:00:00Z");
  CHECK(m.config["batch_size"] == 128);
  CHECK(m.bn_state == bn_state::kTrained);
}

TEST_CASE("HDF5 keeps every supported dtype, 0-d and empty tensors, compressed or not",
          "[formats][hdf5]") {
  TempDir dir;
  StateDict s = {{"a.f32", torch::randn({3, 4})},
                 {"a.f64", torch::randn({5}, torch::kDouble)},
                 {"a.f16", torch::randn({2, 2}).to(torch::kHalf)},
                 {"a.bf16", torch::randn({4}).to(torch::kBFloat16)},
                 {"a.i64", torch::tensor(int64_t{42})},
                 {"a.i32", torch::arange(6, torch::kInt).reshape({2, 3})},
                 {"a.u8", torch::arange(4, torch::kByte)},
                 {"a.bool", torch::tensor({true, false, true})},
                 {"a.empty", torch::zeros({0, 3})}};
  for (bool compress : {false, true}) {
    const auto path = dir.file(compress ? "c.h5" : "p.h5");
    WriteOptions opts;
    opts.compress = compress;
    save_snapshot(path, SnapshotMeta{}, s, opts);
    auto r = open_snapshot(path);
    for (const auto& [k, t] : s) {
      INFO(k);
      CHECK(bit_equal(r->read(k), t));
    }
  }
}

TEST_CASE("a flipped byte in a tensor is detected and names the file and the tensor",
          "[formats][hdf5]") {
  TempDir dir;
  StateDict s = {{"big.weight", torch::randn({256, 256})}};
  const auto path = dir.file("a.h5");
  save_snapshot(path, tiny_meta(1), s);
  const auto size = std::filesystem::file_size(path);
  // The tensor's 256 KiB dominate the file; the middle of the file is inside its chunk.
  flip_byte(path, static_cast<std::streamoff>(size / 2));
  auto r = open_snapshot(path);
  CHECK_THROWS_WITH(r->read("big.weight"), Catch::Contains(path) && Catch::Contains("big.weight") &&
                                               Catch::Contains("checksum"));
}

TEST_CASE("truncated, foreign and missing HDF5 files are refused with the file named",
          "[formats][hdf5]") {
  TempDir dir;
  const auto path = write_tiny(dir, "a.h5", 1, 1);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  CHECK_THROWS_AS(open_snapshot(path), InputError);
  CHECK_THROWS_WITH(open_snapshot(path), Catch::Contains(path));

  const auto text = dir.file("text.h5");
  std::ofstream(text) << "not hdf5";
  CHECK_THROWS_WITH(open_snapshot(text), Catch::Contains("not a readable HDF5 file"));
  CHECK_THROWS_WITH(open_snapshot(dir.file("missing.h5")), Catch::Contains("cannot open"));
}

TEST_CASE("a writer that is not committed leaves nothing behind", "[formats][hdf5]") {
  TempDir dir;
  const auto state = tiny_state(1);
  {
    auto w = create_snapshot(dir.file("out.h5"), layout_of(state));
    w->write(state[0].first, state[0].second);
  }
  CHECK(dir.entry_count() == 0);
}

TEST_CASE("writing into a missing folder is refused before any work", "[formats][hdf5]") {
  TempDir dir;
  CHECK_THROWS_WITH(create_snapshot(dir.file("nope/out.h5"), layout_of(tiny_state(1))),
                    Catch::Contains("does not exist"));
}
