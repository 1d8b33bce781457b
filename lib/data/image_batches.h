// Batched image transforms on uint8 [B, 3, 32, 32] tensors: no per-image loops.
#pragma once
#include <torch/torch.h>

namespace swa {

// The reference CIFAR-10 normalisation: mean (0.4914, 0.4822, 0.4465), std (0.2023, 0.1994,
// 0.2010), applied to pixels scaled to [0, 1]. Returns float32 on the images' device.
torch::Tensor normalize_cifar(const torch::Tensor& images_u8);

// The random draws of the augmentation below for `count` images: crop offsets (0..8 each way)
// and flips, drawn on the CPU from `generator` (so every device draws the same), then moved to
// `device` in one copy.
struct CropFlipDraws {
  torch::Tensor offset_y, offset_x, flip;  // int64 [count]
  CropFlipDraws slice(int64_t begin, int64_t end) const;
};
CropFlipDraws draw_crop_flip(int64_t count, at::Generator generator, torch::Device device);
// The draws of `count` images taken batch by batch (draw_crop_flip per batch of `batch_size`), in
// one copy to `device`: a whole epoch's augmentation at its start, the same numbers per-batch
// drawing gives.
CropFlipDraws draw_crop_flip_batches(int64_t count, int64_t batch_size, at::Generator generator,
                                     torch::Device device);

// Random crop 32x32 from the image zero-padded by 4 pixels, then a horizontal flip with
// probability 1/2, independently per image: `draws` holds one draw per image.
torch::Tensor augment_crop_flip(const torch::Tensor& images_u8, const CropFlipDraws& draws);
// The same with the draws taken from `generator` for this batch.
torch::Tensor augment_crop_flip(const torch::Tensor& images_u8, at::Generator generator);

// A fixed, seeded subset of `count` indices out of `total` (count >= total: all, in order).
torch::Tensor seeded_subset(int64_t total, int64_t count, uint64_t seed);

}  // namespace swa
