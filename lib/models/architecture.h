// Architecture names as stored in snapshots: resnet{18,34,50,101,152}[-cifar][-w<WIDTH>].
//   -cifar   3x3/1 stem conv without max-pool (default: torchvision's 7x7/2 conv + max-pool)
//   -w<N>    first-stage channels (default 64); stages use N, 2N, 4N, 8N. Keys stay identical,
//            so tests can use tiny networks with the full-size key structure.
#pragma once
#include <string>
#include <vector>

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

}  // namespace swa
