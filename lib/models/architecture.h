// Architecture names as stored in snapshots: resnet{18,34,50,101,152}[-cifar][-w<WIDTH>].
//   -cifar   3x3/1 stem conv without max-pool (default: torchvision's 7x7/2 conv + max-pool)
//   -w<N>    first-stage channels (default 64); stages use N, 2N, 4N, 8N. Keys stay identical,
//            so tests can use tiny networks with the full-size key structure.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "formats/tensor_file.h"

namespace swa {

enum class Stem { kImagenet, kCifar };
enum class BlockKind { kBasic, kBottleneck };

struct ResNetSpec {
  int depth = 50;
  Stem stem = Stem::kImagenet;
  int width = 64;

  BlockKind block() const { return depth < 50 ? BlockKind::kBasic : BlockKind::kBottleneck; }
  std::vector<int> blocks_per_stage() const;
  std::string name() const;  // canonical name, e.g. "resnet50-cifar"
};

// Throws InputError on names outside the grammar above.
ResNetSpec parse_architecture(const std::string& name);

// The ResNet above whose state dict has these tensors (torchvision's keys), for files that do not
// name their architecture (a bare .pt): the stem from conv1's kernel (7x7: imagenet, 3x3: cifar),
// the width from its output channels, the block kind from conv3 in the first block, the depth
// from the blocks in each stage. nullopt when they fit none, with `why` saying what did not fit.
// Loading the weights afterwards checks every tensor's shape.
std::optional<ResNetSpec> architecture_from_layout(const StoredLayout& layout, std::string& why);

}  // namespace swa
