#include "lib/models/architecture.h"

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

}  // namespace swa
