// A run's configuration is declared once (for_each_train_field, for_each_schedule_field) and
// --resume restores every setting it saved.
#include <catch2/catch.hpp>

#include <type_traits>

#include "formats/input_error.h"
#include "lib/training/train_run.h"

using namespace swa;

namespace {

// The i-th field gets a value made of i, unlike any default.
template <typename Field>
void set_distinct(Field& field, int i) {
  if constexpr (std::is_same_v<Field, bool>) {
    field = !field;
  } else if constexpr (std::is_same_v<Field, int64_t>) {
    field = 100 + i;
  } else if constexpr (std::is_same_v<Field, double>) {
    field = i + 0.25;
  } else {
    field = "value " + std::to_string(i);
  }
}

}  // namespace

TEST_CASE("every saved training setting survives config.json and comes back on --resume",
          "[training]") {
  TrainConfig written;
  int i = 0;
  for_each_train_field(written, [&](const char*, auto& field) { set_distinct(field, ++i); });
  for_each_schedule_field(written.schedule,
                          [&](const char*, auto& field) { set_distinct(field, ++i); });
  const TrainConfig read = config_from_json(written.to_json(), "config.json");
  int checked = 0;
  const nlohmann::json a = written.to_json(), b = read.to_json();
  CHECK(a == b);
  for (const auto& [name, value] : a.items()) {
    INFO(name);
    CHECK(b.at(name) == value);
    ++checked;
  }
  CHECK(checked == 18);  // 17 settings and the schedule
  CHECK(a.at("schedule").size() == 19);
}

TEST_CASE("settings a saved configuration lacks keep their defaults; a wrong type is refused",
          "[training]") {
  const TrainConfig defaults;
  const TrainConfig read = config_from_json({{"arch", "resnet18"}}, "config.json");
  CHECK(read.arch == "resnet18");
  CHECK(read.momentum == defaults.momentum);
  CHECK(read.schedule.swa_lr == defaults.schedule.swa_lr);
  CHECK_THROWS_WITH(config_from_json({{"batch_size", "large"}}, "run/config.json"),
                    Catch::Contains("run/config.json") && Catch::Contains("batch_size"));
}

TEST_CASE("a resumed rank runs on its own device, not the one the run saved", "[training]") {
  TrainConfig saved;
  saved.device = "cuda:0";  // rank 0 of a two-GPU run wrote config.json
  saved.schedule.epochs = 12;
  TrainConfig command;  // rank 1 of the resumed run: swa-train --resume, cuda -> cuda:LOCAL_RANK
  command.run_dir = "runs/dp";
  command.device = "cuda:1";
  command.schedule.epochs = 0;
  const TrainConfig resumed = resumed_config(saved.to_json(), "config.json", command);
  CHECK(resumed.device == "cuda:1");
  CHECK(resumed.run_dir == "runs/dp");
  CHECK(resumed.schedule.epochs == 12);  // the run's own settings still come from the run
  command.device = "cpu";                // resumed on a machine without a GPU
  CHECK(resumed_config(saved.to_json(), "config.json", command).device == "cpu");
}
