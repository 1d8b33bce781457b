// BatchNorm statistics re-estimated for the weights a model has now, exactly as
// torch.optim.swa_utils.update_bn does: running means zeroed, variances set to one, counters
// reset, momentum=None (a cumulative average with one update per batch), train mode, one pass
// over the images in order. Gradients are off (update_bn computes them and throws them away).
#pragma once
#include <torch/torch.h>

#include "lib/data/cifar10.h"
#include "lib/models/resnet.h"

namespace swa {

struct BatchNormPassOptions {
  int64_t batch_size = 500;
  bool augment = false;  // random crop + flip, as in training
  uint64_t seed = 0;     // for the augmentation
  torch::Device device = torch::kCPU;
  bool channels_last = true;
  bool progress = true;
};

// `images` may already live on options.device (then nothing is copied). Returns the number of
// images seen. The model ends in eval mode, with its BatchNorm momenta restored.
int64_t recompute_batchnorm(ResNet& model, const ImageSet& images,
                            const BatchNormPassOptions& options);

}  // namespace swa
