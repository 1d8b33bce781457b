// Test helper: prints the per-iteration learning rate of a schedule, one value per line, for
// tests/python/test_schedules.py to compare with PyTorch's schedulers.
//   print_schedule KEY=VALUE...   (keys: the ScheduleConfig field names)
#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>

#include "formats/input_error.h"
#include "lib/training/lr_schedule.h"

int main(int argc, char** argv) {
  swa::ScheduleConfig c;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto eq = arg.find('=');
    const std::string k = arg.substr(0, eq), v = arg.substr(eq + 1);
    bool known = false;
    if (k == "iterations_per_epoch") {
      c.iterations_per_epoch = std::stoll(v);
      known = true;
    }
    swa::for_each_schedule_field(c, [&](const char* name, auto& field) {
      if (k != name) return;
      known = true;
      using Field = std::decay_t<decltype(field)>;
      if constexpr (std::is_same_v<Field, std::string>) {
        field = v;
      } else if constexpr (std::is_same_v<Field, int64_t>) {
        field = std::stoll(v);
      } else {
        field = std::stod(v);
      }
    });
    if (!known) {
      std::fprintf(stderr, "unknown key %s\n", k.c_str());
      return 2;
    }
  }
  try {
    swa::LrSchedule s(c);
    for (int64_t it = 0; it < s.total_iterations(); ++it) {
      std::printf("%.17g %d\n", s.at(it), s.is_cycle_end(it) ? 1 : 0);
    }
  } catch (const swa::InputError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
