// swa-train --amp fp16's loss scaling, as torch.cuda.amp.GradScaler behaves with its defaults.
#include <catch2/catch.hpp>

#include "lib/training/loss_scaler.h"

using namespace swa;

namespace {

torch::Tensor parameter_with_grad(std::vector<float> grad) {
  auto p = torch::zeros({static_cast<int64_t>(grad.size())}, torch::requires_grad());
  p.mutable_grad() = torch::tensor(grad);
  return p;
}

}  // namespace

TEST_CASE("finite gradients are divided by the scale and the step goes ahead", "[training]") {
  LossScaler scaler(8.0);
  auto p = parameter_with_grad({8.0f, -16.0f});
  CHECK(scaler.unscale({p}));
  CHECK(torch::equal(p.grad(), torch::tensor({1.0f, -2.0f})));
  CHECK(scaler.scale() == 8.0);
}

TEST_CASE("an inf or NaN gradient skips the step and halves the scale", "[training]") {
  LossScaler scaler;
  CHECK(scaler.scale() == 65536.0);
  auto a = parameter_with_grad({1.0f}), b = parameter_with_grad({INFINITY});
  CHECK_FALSE(scaler.unscale({a, b}));
  CHECK(scaler.scale() == 32768.0);
  auto c = parameter_with_grad({NAN});
  CHECK_FALSE(scaler.unscale({c}));
  CHECK(scaler.scale() == 16384.0);
}

TEST_CASE("2000 good steps in a row double the scale; a bad one starts the count again",
          "[training]") {
  LossScaler scaler(1024.0);
  auto p = parameter_with_grad({1.0f});
  for (int i = 0; i < 1999; ++i) {
    p.mutable_grad() = torch::ones({1});
    REQUIRE(scaler.unscale({p}));
  }
  CHECK(scaler.scale() == 1024.0);
  p.mutable_grad() = torch::ones({1});
  CHECK(scaler.unscale({p}));
  CHECK(scaler.scale() == 2048.0);
  p.mutable_grad() = torch::full({1}, INFINITY);
  CHECK_FALSE(scaler.unscale({p}));
  CHECK(scaler.scale() == 1024.0);
}

TEST_CASE("parameters without gradients are left alone", "[training]") {
  LossScaler scaler(4.0);
  auto frozen = torch::zeros({2}, torch::requires_grad());
  CHECK(scaler.unscale({frozen}));
  CHECK_FALSE(frozen.grad().defined());
}
