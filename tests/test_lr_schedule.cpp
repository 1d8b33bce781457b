#include <catch2/catch.hpp>

#include "formats/input_error.h"
#include "lib/training/lr_schedule.h"

using namespace swa;

namespace {
ScheduleConfig reference_recipe() {
  ScheduleConfig c;
  c.epochs = 12;
  c.iterations_per_epoch = 10;
  c.lr = 0.1;
  c.warmup_epochs = 1;
  c.swa_start_epoch = 6;
  c.swa_schedule = "cyclic";
  c.cycle_epochs = 1;
  c.swa_lr_max = 0.05;
  c.swa_lr_min = 0.0005;
  return c;
}
}  // namespace

TEST_CASE("the reference recipe warms up to 0.1, holds it, then cycles from 0.05 to 0.0005",
          "[training]") {
  LrSchedule s(reference_recipe());
  CHECK(s.at(0) == Approx(0.01));  // 1/10 of the rate in the first of 10 warm-up iterations
  CHECK(s.at(9) == Approx(0.1));
  CHECK(s.at(59) == Approx(0.1));
  CHECK(s.at(60) == Approx(0.05 - 0.0495 / 10));
  CHECK(s.at(69) == Approx(0.0005));
  CHECK(s.at(70) == Approx(s.at(60)));
  int ends = 0;
  for (int64_t i = 0; i < s.total_iterations(); ++i) ends += s.is_cycle_end(i);
  CHECK(ends == 6);
  CHECK(s.is_cycle_end(119));
}

TEST_CASE("inconsistent schedules are refused before any work, naming the flag", "[training]") {
  auto c = reference_recipe();
  c.swa_start_epoch = 12;
  CHECK_THROWS_WITH(LrSchedule(c), Catch::Contains("--swa-start"));
  c = reference_recipe();
  c.cycle_epochs = 7;
  CHECK_THROWS_WITH(LrSchedule(c), Catch::Contains("longer than the SWA phase"));
  c = reference_recipe();
  c.lr = 0;
  CHECK_THROWS_WITH(LrSchedule(c), Catch::Contains("--lr must be positive"));
  c = reference_recipe();
  c.swa_lr_min = -1;
  CHECK_THROWS_AS(LrSchedule(c), InputError);
  c = reference_recipe();
  c.swa_schedule = "sawtooth";
  CHECK_THROWS_WITH(LrSchedule(c), Catch::Contains("--swa-schedule"));
}
