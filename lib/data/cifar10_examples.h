// CIFAR-10 (lib/data/cifar10.h) as an ExampleSource: one split in memory as uint8 images,
// normalised per batch with CIFAR's mean and std; the augmentation is training's random crop and
// flip (lib/data/image_batches.h).
#pragma once
#include <memory>

#include "lib/data/cifar10.h"
#include "lib/data/example_source.h"

namespace swa {

// `samples` > 0: a fixed subset of that many images drawn with `seed` (seeded_subset).
std::unique_ptr<ExampleSource> open_cifar10_examples(const CifarSource& source, Split split,
                                                     int64_t samples = 0, uint64_t seed = 0);

}  // namespace swa
