// Tensor files as data sets: rows read by offset in batches (formats/tensor_rows.h), stored
// checksums verified on the way, and the ExampleSource that feeds them to a model
// (lib/data/tensor_file_examples.h).
#include <catch2/catch.hpp>

#include "formats/input_error.h"
#include "formats/tensor_rows.h"
#include "lib/data/tensor_file_examples.h"
#include "test_support.h"

using namespace swa;
using namespace swa::test;

namespace {

void save_data(const std::string& path, const torch::Tensor& inputs, const torch::Tensor& labels) {
  save_snapshot(path, tiny_meta(1), {{"inputs", inputs}, {"labels", labels}});
}

// Reads tensor `key` of `path` back in batches of `batch` rows.
torch::Tensor read_in_batches(const std::string& path, const std::string& key, int64_t batch,
                              const torch::Tensor& like) {
  const auto file = open_tensor_file(path, {TensorFileKind::kData, ""});
  TensorRows rows(*file, static_cast<size_t>(file->find(key)));
  torch::Tensor out = torch::empty_like(like);
  const int64_t row_elements = like.numel() / like.size(0);
  for (int64_t begin = 0; begin < rows.rows(); begin += batch) {
    const int64_t end = std::min(rows.rows(), begin + batch);
    rows.read(begin, end,
              static_cast<char*>(out.data_ptr()) +
                  begin * row_elements * static_cast<int64_t>(like.element_size()));
  }
  return out;
}

}  // namespace

TEST_CASE("rows read in batches equal the stored tensor, in every container", "[data]") {
  TempDir dir;
  torch::manual_seed(0);
  const torch::Tensor inputs = torch::randn({103, 3, 5, 5});
  const torch::Tensor labels = torch::randint(0, 10, {103}, torch::kLong);
  for (const char* name : {"d.h5", "d.pt", "d.safetensors"}) {
    const std::string path = dir.file(name);
    save_data(path, inputs, labels);
    for (const int64_t batch : {1, 7, 50, 103, 500}) {
      CHECK(read_in_batches(path, "inputs", batch, inputs).equal(inputs));
      CHECK(read_in_batches(path, "labels", batch, labels).equal(labels));
    }
  }
}

TEST_CASE("a corrupt data file is refused when read in order, naming the file", "[data]") {
  TempDir dir;
  const torch::Tensor inputs = torch::randn({1000, 100});
  const std::string path = dir.file("d.pt");
  save_data(path, inputs, torch::zeros({1000}, torch::kLong));
  flip_byte(path, static_cast<std::streamoff>(std::filesystem::file_size(path) / 2));
  try {
    read_in_batches(path, "inputs", 64, inputs);
    FAIL("a flipped byte went unnoticed");
  } catch (const InputError& e) {
    CHECK_THAT(e.what(), Catch::Contains(path));
  }
}

TEST_CASE("uint8 pixels are scaled by 1/255 and normalised per channel", "[data]") {
  TempDir dir;
  const torch::Tensor pixels = torch::randint(0, 256, {20, 3, 4, 4}, torch::kUInt8);
  const std::string path = dir.file("pixels.safetensors");
  save_data(path, pixels, torch::arange(20, torch::kLong) % 4);
  TensorFileDataOptions options;
  options.mean = {0.5, 0.25, 0.125};
  options.std = {0.2, 0.3, 0.4};
  const auto source = open_tensor_file_examples(path, options);
  REQUIRE(source->size() == 20);
  const ExampleBatch batch = source->batch(5, 12, nullptr);
  const torch::Tensor mean = torch::tensor({0.5, 0.25, 0.125}).view({1, 3, 1, 1});
  const torch::Tensor std = torch::tensor({0.2, 0.3, 0.4}).view({1, 3, 1, 1});
  const torch::Tensor expected = (pixels.slice(0, 5, 12).to(torch::kFloat) / 255 - mean) / std;
  CHECK(torch::allclose(batch.inputs, expected, 1e-6, 1e-6));
  CHECK(batch.labels.equal(torch::arange(5, 12, torch::kLong) % 4));
  CHECK_NOTHROW(source->require_labels_below(4));
  CHECK_THROWS_WITH(source->require_labels_below(3), Catch::Contains("label 3 at row 3"));
}

TEST_CASE("a tensor file that does not fit is refused, naming the file and tensor", "[data]") {
  TempDir dir;
  const std::string pixels = dir.file("pixels.h5");
  save_data(pixels, torch::zeros({4, 3, 2, 2}, torch::kUInt8), torch::zeros({4}, torch::kLong));
  CHECK_THROWS_WITH(open_tensor_file_examples(pixels, {}),
                    Catch::Contains(pixels) && Catch::Contains("--mean and --std"));

  const std::string short_labels = dir.file("short.pt");
  save_data(short_labels, torch::zeros({4, 2}), torch::zeros({3}, torch::kLong));
  CHECK_THROWS_WITH(open_tensor_file_examples(short_labels, {}),
                    Catch::Contains("3 labels for 4 inputs"));

  const std::string int_labels = dir.file("int32.pt");
  save_data(int_labels, torch::zeros({4, 2}), torch::zeros({4}, torch::kInt));
  CHECK_THROWS_WITH(open_tensor_file_examples(int_labels, {}),
                    Catch::Contains("labels") && Catch::Contains("expected int64 [N]"));

  TensorFileDataOptions other_key;
  other_key.input_key = "x";
  CHECK_THROWS_WITH(open_tensor_file_examples(short_labels, other_key),
                    Catch::Contains("no tensor 'x'") && Catch::Contains("--input-key"));

  TensorFileDataOptions normalised;
  normalised.mean = {0.5};
  normalised.std = {0.5};
  CHECK_THROWS_WITH(open_tensor_file_examples(int_labels, normalised),
                    Catch::Contains("uint8 pixels only"));
}
