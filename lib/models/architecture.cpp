#include "lib/models/architecture.h"

#include <map>
#include <regex>

#include "formats/input_error.h"

namespace swa {

std::vector<int> ResNetSpec::blocks_per_stage() const {
  switch (depth) {
    case 18:
      return {2, 2, 2, 2};
    case 34:
      return {3, 4, 6, 3};
    case 50:
      return {3, 4, 6, 3};
    case 101:
      return {3, 4, 23, 3};
    case 152:
      return {3, 8, 36, 3};
  }
  throw InputError("unsupported ResNet depth " + std::to_string(depth));
}

std::string ResNetSpec::name() const {
  std::string n = "resnet" + std::to_string(depth);
  if (stem == Stem::kCifar) n += "-cifar";
  if (width != 64) n += "-w" + std::to_string(width);
  return n;
}

ResNetSpec parse_architecture(const std::string& name) {
  static const std::regex kGrammar(R"(resnet(18|34|50|101|152)(-cifar)?(-w([0-9]{1,4}))?)");
  std::smatch m;
  if (!std::regex_match(name, m, kGrammar)) {
    throw InputError("unknown architecture '" + name +
                     "' (expected resnet18|34|50|101|152, optionally with -cifar and -w<width>, "
                     "e.g. resnet50, resnet50-cifar, resnet18-cifar-w8)");
  }
  ResNetSpec spec;
  spec.depth = std::stoi(m[1]);
  spec.stem = m[2].matched ? Stem::kCifar : Stem::kImagenet;
  if (m[4].matched) spec.width = std::stoi(m[4]);
  if (spec.width < 1) throw InputError("architecture '" + name + "': width must be positive");
  return spec;
}

std::optional<ResNetSpec> architecture_from_layout(const StoredLayout& layout, std::string& why) {
  std::map<std::string, const StoredTensor*> tensors;
  for (const auto& t : layout) tensors[t.key] = &t;
  const auto stem = tensors.find("conv1.weight");
  if (stem == tensors.end() || stem->second->shape.size() != 4 || stem->second->shape[1] != 3) {
    why = "no conv1.weight of shape [width, 3, k, k]";
    return std::nullopt;
  }
  const std::vector<int64_t>& conv1 = stem->second->shape;
  ResNetSpec spec;
  if (conv1[2] == 7 && conv1[3] == 7) {
    spec.stem = Stem::kImagenet;
  } else if (conv1[2] == 3 && conv1[3] == 3) {
    spec.stem = Stem::kCifar;
  } else {
    why = "conv1.weight has a " + std::to_string(conv1[2]) + "x" + std::to_string(conv1[3]) +
          " kernel (7x7: torchvision's stem, 3x3: the CIFAR stem)";
    return std::nullopt;
  }
  if (conv1[0] < 1 || conv1[0] > 9999) {  // the names' -w<N> has at most four digits
    why = "conv1.weight has " + std::to_string(conv1[0]) + " output channels";
    return std::nullopt;
  }
  spec.width = static_cast<int>(conv1[0]);
  const bool bottleneck = tensors.count("layer1.0.conv3.weight") > 0;
  std::vector<int> blocks;
  for (int stage = 1; stage <= 4; ++stage) {
    int n = 0;
    while (tensors.count("layer" + std::to_string(stage) + "." + std::to_string(n) +
                         ".conv1.weight")) {
      ++n;
    }
    blocks.push_back(n);
  }
  std::string counts;
  for (int n : blocks) counts += (counts.empty() ? "" : ", ") + std::to_string(n);
  for (const int depth : {18, 34, 50, 101, 152}) {
    spec.depth = depth;
    if ((spec.block() == BlockKind::kBottleneck) == bottleneck &&
        spec.blocks_per_stage() == blocks) {
      return spec;
    }
  }
  why = std::string(bottleneck ? "bottleneck" : "basic") + " blocks per stage " + counts +
        " are no ResNet-18/34/50/101/152";
  return std::nullopt;
}

}  // namespace swa
