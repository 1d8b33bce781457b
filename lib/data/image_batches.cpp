#include "lib/data/image_batches.h"

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace swa {

torch::Tensor normalize_cifar(const torch::Tensor& images_u8) {
  // The constants live on each device once: no host-to-device copy per batch.
  static std::mutex mutex;
  static std::map<std::string, std::pair<torch::Tensor, torch::Tensor>> per_device;
  std::pair<torch::Tensor, torch::Tensor> mean_std;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto& entry = per_device[images_u8.device().str()];
    if (!entry.first.defined()) {
      const auto opts = torch::TensorOptions().dtype(torch::kFloat);
      entry.first = torch::tensor({0.4914f, 0.4822f, 0.4465f}, opts).view({1, 3, 1, 1});
      entry.second = torch::tensor({0.2023f, 0.1994f, 0.2010f}, opts).view({1, 3, 1, 1});
      entry.first = entry.first.to(images_u8.device());
      entry.second = entry.second.to(images_u8.device());
    }
    mean_std = entry;
  }
  return (images_u8.to(torch::kFloat).div_(255.0f) - mean_std.first).div_(mean_std.second);
}

CropFlipDraws CropFlipDraws::slice(int64_t begin, int64_t end) const {
  return {offset_y.slice(0, begin, end), offset_x.slice(0, begin, end), flip.slice(0, begin, end)};
}

CropFlipDraws draw_crop_flip(int64_t count, at::Generator generator, torch::Device device) {
  constexpr int64_t kPad = 4;
  const auto opts = torch::TensorOptions().dtype(torch::kLong);
  // One CPU tensor of the three draws, moved in one copy.
  auto oy = torch::randint(0, 2 * kPad + 1, {count}, generator, opts);
  auto ox = torch::randint(0, 2 * kPad + 1, {count}, generator, opts);
  auto flip = torch::randint(0, 2, {count}, generator, opts);
  auto all = torch::stack({oy, ox, flip}).to(device);
  return {all[0], all[1], all[2]};
}

CropFlipDraws draw_crop_flip_batches(int64_t count, int64_t batch_size, at::Generator generator,
                                     torch::Device device) {
  std::vector<torch::Tensor> oy, ox, flip;
  for (int64_t b = 0; b < count; b += batch_size) {
    const auto d = draw_crop_flip(std::min(batch_size, count - b), generator, torch::kCPU);
    oy.push_back(d.offset_y);
    ox.push_back(d.offset_x);
    flip.push_back(d.flip);
  }
  if (oy.empty()) return draw_crop_flip(0, generator, device);
  auto all = torch::stack({torch::cat(oy), torch::cat(ox), torch::cat(flip)}).to(device);
  return {all[0], all[1], all[2]};
}

torch::Tensor augment_crop_flip(const torch::Tensor& images_u8, const CropFlipDraws& draws) {
  constexpr int64_t kPad = 4, kSize = 32;
  const int64_t b = images_u8.size(0);
  const auto dev = images_u8.device();
  auto idx = torch::TensorOptions().dtype(torch::kLong).device(dev);
  auto padded = torch::constant_pad_nd(images_u8, {kPad, kPad, kPad, kPad}, 0);
  auto ramp = torch::arange(kSize, idx);
  auto rows = (draws.offset_y.view({b, 1}) + ramp.view({1, kSize}));  // [B, 32]
  // A flipped image reads its columns right to left.
  auto cols_fwd = draws.offset_x.view({b, 1}) + ramp.view({1, kSize});
  auto cols_rev = draws.offset_x.view({b, 1}) + (kSize - 1 - ramp).view({1, kSize});
  auto cols = torch::where(draws.flip.view({b, 1}).to(torch::kBool), cols_rev, cols_fwd);
  auto bi = torch::arange(b, idx).view({b, 1, 1, 1});
  auto ci = torch::arange(3, idx).view({1, 3, 1, 1});
  return padded.index({bi, ci, rows.view({b, 1, kSize, 1}), cols.view({b, 1, 1, kSize})});
}

torch::Tensor augment_crop_flip(const torch::Tensor& images_u8, at::Generator generator) {
  return augment_crop_flip(images_u8,
                           draw_crop_flip(images_u8.size(0), generator, images_u8.device()));
}

torch::Tensor seeded_subset(int64_t total, int64_t count, uint64_t seed) {
  if (count >= total || count <= 0) return torch::arange(total, torch::kLong);
  auto gen = at::detail::createCPUGenerator(seed);
  return torch::randperm(total, gen, torch::TensorOptions().dtype(torch::kLong)).slice(0, 0, count);
}

}  // namespace swa
