#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "formats/input_error.h"
#include "lib/models/architecture.h"
#include "lib/models/resnet.h"
#include "lib/models/state_dict.h"

using namespace swa;

namespace {

std::string shape_text(const torch::Tensor& t) {
  if (t.dim() == 0) return "scalar";
  std::string s;
  for (auto d : t.sizes()) s += (s.empty() ? "" : "x") + std::to_string(d);
  return s;
}

std::string dtype_text(const torch::Tensor& t) {
  return t.scalar_type() == torch::kFloat  ? "float32"
         : t.scalar_type() == torch::kLong ? "int64"
                                           : "?";
}

// Lines "key dtype shape" in state_dict order.
std::vector<std::string> describe(const StateDict& s) {
  std::vector<std::string> out;
  for (const auto& [k, t] : s) out.push_back(k + " " + dtype_text(t) + " " + shape_text(t));
  return out;
}

std::vector<std::string> golden(int depth) {
  std::ifstream f(std::string(SWA_GOLDEN_DIR) + "/torchvision_resnet" + std::to_string(depth) +
                  "_keys.txt");
  REQUIRE(f.good());
  std::vector<std::string> out;
  std::string line;
  while (std::getline(f, line)) {
    if (!line.empty() && line[0] != '#') out.push_back(line);
  }
  return out;
}

}  // namespace

TEST_CASE("ResNet state_dict keys, dtypes, shapes and order equal torchvision's", "[models]") {
  for (int depth : {18, 34, 50, 101, 152}) {
    INFO("resnet" << depth);
    auto model = make_resnet("resnet" + std::to_string(depth), 10);
    CHECK(describe(state_dict(*model)) == golden(depth));
  }
}

TEST_CASE("the cifar stem changes only conv1's shape; width scales shapes but keeps the keys",
          "[models]") {
  auto full = state_dict(*make_resnet("resnet50", 10));
  auto cifar = state_dict(*make_resnet("resnet50-cifar", 10));
  auto tiny = state_dict(*make_resnet("resnet50-cifar-w4", 10));
  REQUIRE(full.size() == cifar.size());
  REQUIRE(full.size() == tiny.size());
  for (size_t i = 0; i < full.size(); ++i) {
    CHECK(full[i].first == cifar[i].first);
    CHECK(full[i].first == tiny[i].first);
    if (full[i].first != "conv1.weight") CHECK(full[i].second.sizes() == cifar[i].second.sizes());
  }
  CHECK(cifar[0].second.sizes() == torch::IntArrayRef({64, 3, 3, 3}));
  CHECK(tiny[0].second.sizes() == torch::IntArrayRef({4, 3, 3, 3}));
}

TEST_CASE("forward maps CIFAR-sized images to one logit per class, for both stems", "[models]") {
  torch::NoGradGuard no_grad;
  for (const char* arch : {"resnet18-w4", "resnet18-cifar-w4", "resnet50-cifar-w4"}) {
    auto model = make_resnet(arch, 7);
    model->eval();
    auto y = model->forward(torch::randn({2, 3, 32, 32}));
    CHECK(y.sizes() == torch::IntArrayRef({2, 7}));
  }
}

TEST_CASE("architecture names parse and print canonically", "[models]") {
  CHECK(parse_architecture("resnet50").name() == "resnet50");
  CHECK(parse_architecture("resnet18-cifar-w8").name() == "resnet18-cifar-w8");
  CHECK(parse_architecture("resnet101-w64").name() == "resnet101");
  CHECK(parse_architecture("resnet34-cifar").stem == Stem::kCifar);
  CHECK_THROWS_AS(parse_architecture("resnet51"), InputError);
  CHECK_THROWS_AS(parse_architecture("vgg16"), InputError);
  CHECK_THROWS_AS(parse_architecture("resnet18-w0"), InputError);
}

TEST_CASE("a state dict without metadata names its ResNet by its keys and shapes", "[models]") {
  auto layout_of = [](const std::string& arch) {
    StoredLayout layout;
    for (const auto& [key, t] : state_dict(*make_resnet(arch, 10))) {
      layout.push_back({key, ElementType::kFloat32, t.sizes().vec()});
    }
    return layout;
  };
  std::string why;
  for (const char* arch : {"resnet18-w4", "resnet34-cifar-w2", "resnet50-cifar-w4", "resnet101-w2",
                           "resnet152-cifar-w1", "resnet18"}) {
    INFO(arch);
    const auto spec = architecture_from_layout(layout_of(arch), why);
    REQUIRE(spec);
    CHECK(spec->name() == arch);
  }
  auto five_by_five = layout_of("resnet18-w4");
  five_by_five.front().shape = {4, 3, 5, 5};
  CHECK_FALSE(architecture_from_layout(five_by_five, why));
  CHECK(why.find("5x5 kernel") != std::string::npos);
  auto one_block_short = layout_of("resnet18-w4");
  one_block_short.erase(
      std::remove_if(one_block_short.begin(), one_block_short.end(),
                     [](const StoredTensor& t) { return t.key.rfind("layer4.1.", 0) == 0; }),
      one_block_short.end());
  CHECK_FALSE(architecture_from_layout(one_block_short, why));
  CHECK(why == "basic blocks per stage 2, 2, 2, 1 are no ResNet-18/34/50/101/152");
  CHECK_FALSE(architecture_from_layout({{"fc.weight", ElementType::kFloat32, {10, 512}}}, why));
}

TEST_CASE("load_state_dict refuses a state with a missing or misshapen tensor", "[models]") {
  auto model = make_resnet("resnet18-cifar-w4", 10);
  auto state = state_dict(*make_resnet("resnet18-cifar-w4", 10));
  REQUIRE_NOTHROW(load_state_dict(*model, state, "x.h5"));
  auto missing = state;
  missing.pop_back();
  CHECK_THROWS_WITH(load_state_dict(*model, missing, "x.h5"), Catch::Contains("fc.bias"));
  auto wrong = state_dict(*make_resnet("resnet18-cifar-w8", 10));
  CHECK_THROWS_WITH(load_state_dict(*model, wrong, "x.h5"), Catch::Contains("conv1.weight"));
}
