#include <catch2/catch.hpp>

#include "formats/input_error.h"
#include "test_support.h"

using namespace swa;
using namespace swa::test;

TEST_CASE("safetensors snapshot round-trips tensors bit for bit, in order, with metadata",
          "[formats][safetensors]") {
  TempDir dir;
  const auto state = tiny_state(3);
  save_snapshot(dir.file("a.safetensors"), tiny_meta(5), state);
  auto r = open_snapshot(dir.file("a.safetensors"));
  REQUIRE(r->layout().size() == state.size());
  for (size_t i = 0; i < state.size(); ++i) {
    CHECK(r->layout()[i].key == state[i].first);
    CHECK(bit_equal(r->read(state[i].first), state[i].second));
  }
  CHECK(r->meta().epoch == 5);
  CHECK(r->meta().config["batch_size"] == 128);
}

TEST_CASE("safetensors header and data are laid out as the format specifies",
          "[formats][safetensors]") {
  TempDir dir;
  save_snapshot(dir.file("a.safetensors"), SnapshotMeta{}, {{"w", torch::ones({2, 3})}});
  std::ifstream f(dir.file("a.safetensors"), std::ios::binary);
  uint64_t n = 0;
  f.read(reinterpret_cast<char*>(&n), 8);
  CHECK(n % 8 == 0);
  std::string header(n, '\0');
  f.read(header.data(), static_cast<std::streamsize>(n));
  auto j = nlohmann::json::parse(header);
  CHECK(j["w"]["dtype"] == "F32");
  CHECK(j["w"]["shape"] == nlohmann::json::array({2, 3}));
  CHECK(j["w"]["data_offsets"] == nlohmann::json::array({0, 24}));
  CHECK(j["__metadata__"]["format"] == "pt");
}

TEST_CASE("truncated or malformed safetensors files are refused with the file named",
          "[formats][safetensors]") {
  TempDir dir;
  const auto path = write_tiny(dir, "a.safetensors", 1, 1);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 16);
  CHECK_THROWS_WITH(open_snapshot(path), Catch::Contains(path) && Catch::Contains("truncated"));
  const auto junk = dir.file("junk.safetensors");
  std::ofstream(junk) << "hello world, definitely not safetensors";
  CHECK_THROWS_WITH(open_snapshot(junk), Catch::Contains("not a safetensors file"));
}
