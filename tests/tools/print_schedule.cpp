// Test helper: prints the per-iteration learning rate of a schedule, one value per line, for
// tests/python/test_schedules.py to compare with PyTorch's schedulers.
//   print_schedule KEY=VALUE...   (keys: the ScheduleConfig field names)
#include <cstdio>
#include <cstdlib>
#include <string>

#include "formats/input_error.h"
#include "lib/training/lr_schedule.h"

int main(int argc, char** argv) {
  swa::ScheduleConfig c;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto eq = arg.find('=');
    const std::string k = arg.substr(0, eq), v = arg.substr(eq + 1);
    auto num = [&] { return std::stod(v); };
    auto integer = [&] { return std::stoll(v); };
    if (k == "epochs")
      c.epochs = integer();
    else if (k == "iterations_per_epoch")
      c.iterations_per_epoch = integer();
    else if (k == "lr")
      c.lr = num();
    else if (k == "warmup_epochs")
      c.warmup_epochs = integer();
    else if (k == "schedule")
      c.schedule = v;
    else if (k == "step_epochs")
      c.step_epochs = integer();
    else if (k == "step_gamma")
      c.step_gamma = num();
    else if (k == "swa_start_epoch")
      c.swa_start_epoch = integer();
    else if (k == "swa_schedule")
      c.swa_schedule = v;
    else if (k == "cycle_epochs")
      c.cycle_epochs = integer();
    else if (k == "swa_lr_max")
      c.swa_lr_max = num();
    else if (k == "swa_lr_min")
      c.swa_lr_min = num();
    else if (k == "restart_mult")
      c.restart_mult = integer();
    else if (k == "cyclic_base_lr")
      c.cyclic_base_lr = num();
    else if (k == "cyclic_max_lr")
      c.cyclic_max_lr = num();
    else if (k == "cyclic_step_size_up")
      c.cyclic_step_size_up = integer();
    else if (k == "cyclic_gamma")
      c.cyclic_gamma = num();
    else if (k == "swa_lr")
      c.swa_lr = num();
    else if (k == "anneal_epochs")
      c.anneal_epochs = integer();
    else if (k == "anneal_strategy")
      c.anneal_strategy = v;
    else {
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
