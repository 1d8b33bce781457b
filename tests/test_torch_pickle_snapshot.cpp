#include <catch2/catch.hpp>

#include "formats/input_error.h"
#include "test_support.h"

using namespace swa;
using namespace swa::test;

TEST_CASE(".pt snapshot round-trips tensors bit for bit, in order, with metadata") {
  TempDir dir;
  const auto state = tiny_state(2);
  save_snapshot(dir.file("a.pt"), tiny_meta(4), state);
  auto r = open_snapshot(dir.file("a.pt"));
  REQUIRE(r->layout().size() == state.size());
  for (size_t i = 0; i < state.size(); ++i) {
    CHECK(r->layout()[i].key == state[i].first);
    CHECK(bit_equal(r->read(state[i].first), state[i].second));
  }
  CHECK(r->meta().arch == kTinyArch);
  CHECK(r->meta().epoch == 4);
}

TEST_CASE(".pt written by LibTorch's own pickle_save is read, with unknown metadata") {
  TempDir dir;
  c10::Dict<std::string, at::Tensor> d;
  d.insert("module.fc.weight", torch::randn({3, 2}));
  d.insert("module.fc.bias", torch::randn({3}));
  auto bytes = torch::pickle_save(d);
  const auto path = dir.file("ddp.pt");
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  auto r = open_snapshot(path);
  REQUIRE(r->layout().size() == 2);
  CHECK(r->layout()[0].key == "fc.weight");  // DDP / AveragedModel "module." prefix removed
  CHECK(bit_equal(r->read("fc.bias"), d.at("module.fc.bias")));
  CHECK(r->meta().arch.empty());
  CHECK(r->meta().epoch == -1);
}

TEST_CASE("wrapped state dicts ({\"state_dict\": ...}) are unwrapped") {
  TempDir dir;
  c10::impl::GenericDict outer(c10::StringType::get(), c10::AnyType::get());
  c10::Dict<std::string, at::Tensor> inner;
  inner.insert("fc.weight", torch::ones({2, 2}));
  outer.insert(std::string("state_dict"), inner);
  outer.insert(std::string("epoch"), int64_t{3});
  auto bytes = torch::pickle_save(outer);
  const auto path = dir.file("wrapped.pt");
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  auto r = open_snapshot(path);
  REQUIRE(r->layout().size() == 1);
  CHECK(r->read("fc.weight").sum().item<float>() == 4.0f);
}

TEST_CASE("legacy, truncated and non-PyTorch .pt files get an actionable error") {
  TempDir dir;
  const auto legacy = dir.file("legacy.pt");
  std::ofstream(legacy, std::ios::binary) << "\x80\x02\x8a\x0alegacy pickle";
  CHECK_THROWS_WITH(open_snapshot(legacy),
                    Catch::Contains(legacy) && Catch::Contains("torch.save(dict("));

  const auto path = write_tiny(dir, "t.pt", 1, 1);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 200);
  CHECK_THROWS_AS(open_snapshot(path), InputError);
}
