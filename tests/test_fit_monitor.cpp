#include <catch2/catch.hpp>

#include "lib/training/fit_monitor.h"

using namespace swa;

TEST_CASE("the fit monitor flags over-fitting, under-fitting, and stops on a sustained rise",
          "[training]") {
  FitMonitor m;
  CHECK_FALSE(m.update(2.0, 30, 2.1).overfitting);  // first epoch: nothing to compare
  CHECK_FALSE(m.update(1.5, 45, 1.6).overfitting);  // both fall
  auto f = m.update(1.2, 55, 1.7);                  // validation rises, training falls
  CHECK(f.overfitting);
  CHECK_FALSE(f.underfitting);
  CHECK(m.rising_epochs() == 1);
  CHECK_FALSE(m.should_stop(2));
  m.update(1.1, 55.2, 1.8);
  CHECK(m.should_stop(2));
  CHECK_FALSE(m.should_stop(0));      // patience 0: never
  auto g = m.update(1.1, 55.3, 1.5);  // accuracy stalled over three epochs
  CHECK(g.underfitting);
  CHECK(m.rising_epochs() == 0);

  FitMonitor resumed;
  resumed.restore(m.state());
  CHECK(resumed.update(1.0, 56, 1.6).overfitting);  // remembers the previous epoch's losses
}

TEST_CASE("without a validation split, over-fitting is never flagged", "[training]") {
  FitMonitor m;
  m.update(2.0, 30, NAN);
  CHECK_FALSE(m.update(1.0, 60, NAN).overfitting);
  CHECK_FALSE(m.should_stop(1));
}
