#include "lib/data/image_batches.h"

namespace swa {

torch::Tensor normalize_cifar(const torch::Tensor& images_u8) {
  const auto opts = torch::TensorOptions().dtype(torch::kFloat).device(images_u8.device());
  static const float kMean[] = {0.4914f, 0.4822f, 0.4465f};
  static const float kStd[] = {0.2023f, 0.1994f, 0.2010f};
  auto mean = torch::tensor({kMean[0], kMean[1], kMean[2]}, opts).view({1, 3, 1, 1});
  auto std = torch::tensor({kStd[0], kStd[1], kStd[2]}, opts).view({1, 3, 1, 1});
  return (images_u8.to(torch::kFloat).div_(255.0f) - mean).div_(std);
}

torch::Tensor augment_crop_flip(const torch::Tensor& images_u8, at::Generator generator) {
  constexpr int64_t kPad = 4, kSize = 32;
  const int64_t b = images_u8.size(0);
  const auto dev = images_u8.device();
  auto idx = torch::TensorOptions().dtype(torch::kLong).device(dev);
  auto padded = torch::constant_pad_nd(images_u8, {kPad, kPad, kPad, kPad}, 0);
  auto oy =
      torch::randint(0, 2 * kPad + 1, {b}, generator, torch::TensorOptions().dtype(torch::kLong))
          .to(dev);
  auto ox =
      torch::randint(0, 2 * kPad + 1, {b}, generator, torch::TensorOptions().dtype(torch::kLong))
          .to(dev);
  auto flip =
      torch::randint(0, 2, {b}, generator, torch::TensorOptions().dtype(torch::kLong)).to(dev);
  auto ramp = torch::arange(kSize, idx);
  auto rows = (oy.view({b, 1}) + ramp.view({1, kSize}));  // [B, 32]
  // A flipped image reads its columns right to left.
  auto cols_fwd = ox.view({b, 1}) + ramp.view({1, kSize});
  auto cols_rev = ox.view({b, 1}) + (kSize - 1 - ramp).view({1, kSize});
  auto cols = torch::where(flip.view({b, 1}).to(torch::kBool), cols_rev, cols_fwd);
  auto bi = torch::arange(b, idx).view({b, 1, 1, 1});
  auto ci = torch::arange(3, idx).view({1, 3, 1, 1});
  return padded.index({bi, ci, rows.view({b, 1, kSize, 1}), cols.view({b, 1, 1, kSize})});
}

torch::Tensor seeded_subset(int64_t total, int64_t count, uint64_t seed) {
  if (count >= total || count <= 0) return torch::arange(total, torch::kLong);
  auto gen = at::detail::createCPUGenerator(seed);
  return torch::randperm(total, gen, torch::TensorOptions().dtype(torch::kLong)).slice(0, 0, count);
}

}  // namespace swa
