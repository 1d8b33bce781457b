#include <catch2/catch.hpp>

#include "cifar_fixture.h"
#include "formats/input_error.h"
#include "lib/data/cifar10.h"
#include "lib/data/image_batches.h"
#include "test_support.h"

using namespace swa;
using namespace swa::test;

TEST_CASE("CIFAR-10 splits: 45,000 train, 5,000 validation, 10,000 test by default", "[data]") {
  CifarSource src{shared_cifar_folder(), kDefaultValidationSize};
  auto train = load_cifar10(src, Split::kTrain);
  auto val = load_cifar10(src, Split::kValidation);
  auto test = load_cifar10(src, Split::kTest);
  CHECK(train.size() == 45000);
  CHECK(val.size() == 5000);
  CHECK(test.size() == 10000);
  CHECK(train.images.sizes() == torch::IntArrayRef({45000, 3, 32, 32}));
  CHECK(train.images.scalar_type() == torch::kUInt8);
  CHECK(cifar10_class_names(src.dir)[9] == "truck");
  src.validation_size = 0;
  CHECK(load_cifar10(src, Split::kTrain).size() == 50000);
}

TEST_CASE("the validation split is stratified, disjoint from training, and stable", "[data]") {
  CifarSource src{shared_cifar_folder(), 1000};
  auto all_labels = torch::cat(
      {load_cifar10(src, Split::kTrain).labels, load_cifar10(src, Split::kValidation).labels});
  auto val = load_cifar10(src, Split::kValidation);
  CHECK(torch::bincount(val.labels).eq(100).all().item<bool>());  // 100 per class
  src.validation_size = 0;
  auto every = load_cifar10(src, Split::kTrain);
  const auto idx = validation_indices(every.labels, 1000);
  CHECK(idx == validation_indices(every.labels, 1000));  // same hold-out every time
  std::set<int64_t> held(idx.begin(), idx.end());
  CHECK(held.size() == 1000);
  // The training split is exactly the complement: 49,000 images, none of them held out.
  CifarSource src2{shared_cifar_folder(), 1000};
  CHECK(load_cifar10(src2, Split::kTrain).size() == 49000);
  CHECK(torch::equal(val.images, every.images.index_select(0, torch::tensor(idx))));
  CHECK(all_labels.size(0) == 50000);
}

TEST_CASE("the official tarball's cifar-10-batches-bin/ folder is found inside --data", "[data]") {
  TempDir dir;
  write_cifar_folder(dir.path() / "cifar-10-batches-bin");
  CHECK(locate_cifar10(dir.path().string()) == (dir.path() / "cifar-10-batches-bin").string());
  CHECK(load_cifar10({dir.path().string(), 0}, Split::kTest).size() == 10000);
}

TEST_CASE("malformed CIFAR-10 folders are refused with what was expected and how to get it",
          "[data]") {
  TempDir dir;
  write_cifar_folder(dir.path());
  CifarSource src{dir.path().string(), 5000};
  SECTION("a missing batch file") {
    std::filesystem::remove(dir.path() / "data_batch_3.bin");
    CHECK_THROWS_WITH(load_cifar10(src, Split::kTrain),
                      Catch::Contains("data_batch_3.bin") && Catch::Contains("prepare.sh"));
  }
  SECTION("a file of the wrong size") {
    write_cifar_file((dir.path() / "test_batch.bin").string(), 1, 9999);
    CHECK_THROWS_WITH(load_cifar10(src, Split::kTest),
                      Catch::Contains("test_batch.bin") && Catch::Contains("expected 30730000"));
  }
  SECTION("a label outside 0-9") {
    write_cifar_file((dir.path() / "test_batch.bin").string(), 1, 10000, /*bad_label_at=*/17);
    CHECK_THROWS_WITH(load_cifar10(src, Split::kTest), Catch::Contains("record 17 has label 11"));
  }
  SECTION("no data at all") {
    CHECK_THROWS_WITH(locate_cifar10((dir.path() / "nothing").string()),
                      Catch::Contains("no such folder"));
    CHECK_THROWS_WITH(locate_cifar10(""), Catch::Contains("--data"));
  }
  SECTION("a validation size that is not a multiple of 10") {
    src.validation_size = 5;
    CHECK_THROWS_WITH(load_cifar10(src, Split::kTrain), Catch::Contains("--val-size"));
  }
}

TEST_CASE("normalisation uses the reference CIFAR-10 mean and std", "[data]") {
  auto img = torch::full({1, 3, 1, 1}, 255, torch::kUInt8);
  auto x = normalize_cifar(img);
  CHECK(x[0][0][0][0].item<float>() == Approx((1 - 0.4914) / 0.2023));
  CHECK(x[0][2][0][0].item<float>() == Approx((1 - 0.4465) / 0.2010));
}

TEST_CASE("an epoch's augmentation drawn at its start equals drawing it batch by batch", "[data]") {
  // swa-train draws the epoch's crops and flips in one go (one copy to a GPU), in the order
  // per-batch drawing takes them, so the batches and a resumed run see the same augmentation.
  auto images = torch::randint(1, 256, {10, 3, 32, 32}, torch::kLong).to(torch::kUInt8);
  auto per_batch = at::detail::createCPUGenerator(5);
  std::vector<torch::Tensor> expected;
  for (int64_t b = 0; b < 10; b += 4)
    expected.push_back(
        augment_crop_flip(images.slice(0, b, std::min<int64_t>(10, b + 4)), per_batch));
  const auto draws = draw_crop_flip_batches(10, 4, at::detail::createCPUGenerator(5), torch::kCPU);
  CHECK(draws.offset_y.size(0) == 10);
  for (int64_t b = 0, i = 0; b < 10; b += 4, ++i) {
    const int64_t e = std::min<int64_t>(10, b + 4);
    CHECK(torch::equal(augment_crop_flip(images.slice(0, b, e), draws.slice(b, e)), expected[i]));
  }
}

TEST_CASE("augmentation: each image is a 32x32 crop of its 4-padded self, maybe flipped; seeded",
          "[data]") {
  auto images = torch::randint(1, 256, {6, 3, 32, 32}, torch::kLong).to(torch::kUInt8);
  auto a = augment_crop_flip(images, at::detail::createCPUGenerator(3));
  auto b = augment_crop_flip(images, at::detail::createCPUGenerator(3));
  auto c = augment_crop_flip(images, at::detail::createCPUGenerator(4));
  CHECK(a.sizes() == images.sizes());
  CHECK(a.scalar_type() == torch::kUInt8);
  CHECK(torch::equal(a, b));
  CHECK_FALSE(torch::equal(a, c));
  auto padded = torch::constant_pad_nd(images, {4, 4, 4, 4}, 0);
  for (int64_t i = 0; i < 6; ++i) {
    bool found = false;
    for (int64_t y = 0; y <= 8 && !found; ++y) {
      for (int64_t x = 0; x <= 8 && !found; ++x) {
        auto crop = padded[i].slice(1, y, y + 32).slice(2, x, x + 32);
        found = torch::equal(a[i], crop) || torch::equal(a[i], crop.flip({2}));
      }
    }
    CHECK(found);
  }
}

TEST_CASE("a seeded subset is fixed by its seed", "[data]") {
  CHECK(torch::equal(seeded_subset(100, 10, 1), seeded_subset(100, 10, 1)));
  CHECK_FALSE(torch::equal(seeded_subset(100, 10, 1), seeded_subset(100, 10, 2)));
  CHECK(std::get<0>(torch::_unique(seeded_subset(100, 10, 1))).numel() == 10);
  CHECK(seeded_subset(5, 10, 1).numel() == 5);
}
