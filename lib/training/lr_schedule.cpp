#include "lib/training/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "formats/input_error.h"

namespace swa {
namespace {

constexpr double kPi = 3.14159265358979323846;

void require(bool ok, const std::string& message) {
  if (!ok) throw InputError(message);
}

}  // namespace

LrSchedule::LrSchedule(ScheduleConfig c) : c_(std::move(c)) {
  require(c_.epochs > 0, "--epochs must be positive");
  require(c_.iterations_per_epoch > 0, "iterations per epoch must be positive");
  require(c_.lr > 0, "--lr must be positive, got " + std::to_string(c_.lr));
  require(c_.warmup_epochs >= 0, "--warmup-epochs must not be negative");
  require(c_.schedule == "constant" || c_.schedule == "step" || c_.schedule == "cosine",
          "--schedule must be constant, step or cosine, got '" + c_.schedule + "'");
  const int64_t pre_swa = c_.swa_start_epoch >= 0 ? c_.swa_start_epoch : c_.epochs;
  require(c_.warmup_epochs <= pre_swa, "--warmup-epochs must end before --swa-start");
  if (c_.schedule == "step")
    require(c_.step_epochs > 0 && c_.step_gamma > 0,
            "--step-epochs and --step-gamma must be positive");
  if (c_.swa_start_epoch < 0) return;
  require(c_.swa_start_epoch < c_.epochs, "--swa-start " + std::to_string(c_.swa_start_epoch) +
                                              " is not before --epochs " +
                                              std::to_string(c_.epochs));
  const int64_t swa_epochs = c_.epochs - c_.swa_start_epoch;
  const std::string& s = c_.swa_schedule;
  if (s == "cyclic" || s == "cosine-restarts") {
    require(c_.cycle_epochs > 0, "--cycle-epochs must be positive");
    require(c_.cycle_epochs <= swa_epochs, "--cycle-epochs " + std::to_string(c_.cycle_epochs) +
                                               " is longer than the SWA phase (" +
                                               std::to_string(swa_epochs) + " epochs)");
    require(c_.swa_lr_max > 0 && c_.swa_lr_min > 0 && c_.swa_lr_min <= c_.swa_lr_max,
            "--swa-lr-max and --swa-lr-min must be positive, min <= max");
    require(c_.restart_mult >= 1, "--restart-mult must be at least 1");
  } else if (s == "triangular" || s == "triangular2" || s == "exp_range") {
    require(c_.cyclic_base_lr > 0 && c_.cyclic_max_lr > 0,
            "--base-lr and --max-lr must be positive");
    require(c_.cyclic_step_size_up > 0, "--step-size-up must be positive");
    require(2 * c_.cyclic_step_size_up <= swa_epochs * c_.iterations_per_epoch,
            "--step-size-up: a cycle is longer than the SWA phase");
    require(c_.cyclic_gamma > 0, "--gamma must be positive");
  } else if (s == "constant") {
    require(c_.swa_lr > 0, "--swa-lr must be positive");
    require(c_.anneal_epochs >= 0, "--anneal-epochs must not be negative");
    require(c_.anneal_strategy == "cos" || c_.anneal_strategy == "linear",
            "--anneal-strategy must be cos or linear");
  } else {
    throw InputError(
        "--swa-schedule must be cyclic, triangular, triangular2, exp_range, "
        "cosine-restarts or constant, got '" +
        s + "'");
  }
}

double LrSchedule::before_swa(int64_t it) const {
  const int64_t per_epoch = c_.iterations_per_epoch;
  const int64_t warmup = c_.warmup_epochs * per_epoch;
  if (it < warmup) {
    // LinearLR(start_factor=1/W, end_factor=1, total_iters=W-1)
    const double start = 1.0 / static_cast<double>(warmup);
    const double total = static_cast<double>(std::max<int64_t>(warmup - 1, 1));
    return c_.lr *
           (start + (1.0 - start) * std::min<double>(static_cast<double>(it), total) / total);
  }
  if (c_.schedule == "step") {
    return c_.lr * std::pow(c_.step_gamma, static_cast<double>((it / per_epoch) / c_.step_epochs));
  }
  if (c_.schedule == "cosine") {
    const int64_t pre_swa = (c_.swa_start_epoch >= 0 ? c_.swa_start_epoch : c_.epochs) * per_epoch;
    const double t_max = static_cast<double>(std::max<int64_t>(pre_swa - warmup, 1));
    return c_.lr * (1 + std::cos(kPi * static_cast<double>(it - warmup) / t_max)) / 2;
  }
  return c_.lr;
}

double LrSchedule::swalr(int64_t epoch, double initial) const {
  // torch.optim.swa_utils.SWALR after `epoch` steps. Its recursion recovers the starting rate
  // from the previous one each step, which unrolls to this blend of start and swa_lr.
  auto anneal = [&](double t) {
    return c_.anneal_strategy == "cos" ? (1 - std::cos(kPi * t)) / 2 : t;
  };
  const int64_t step = c_.anneal_epochs == 0 ? std::max<int64_t>(1, epoch) : epoch;
  const double span = static_cast<double>(std::max<int64_t>(1, c_.anneal_epochs));
  const double alpha = anneal(std::clamp(static_cast<double>(step) / span, 0.0, 1.0));
  return c_.swa_lr * alpha + initial * (1 - alpha);
}

double LrSchedule::swa_phase(int64_t i, double start_rate) const {
  const std::string& s = c_.swa_schedule;
  const int64_t per_epoch = c_.iterations_per_epoch;
  if (s == "cyclic") {
    const int64_t cycle = c_.cycle_epochs * per_epoch;
    const double t = static_cast<double>(i % cycle + 1) / static_cast<double>(cycle);
    return (1 - t) * c_.swa_lr_max + t * c_.swa_lr_min;
  }
  if (s == "triangular" || s == "triangular2" || s == "exp_range") {
    const double total = 2.0 * static_cast<double>(c_.cyclic_step_size_up);
    const double step_ratio = 0.5;
    const double cycle = std::floor(1 + static_cast<double>(i) / total);
    const double x = 1.0 + static_cast<double>(i) / total - cycle;
    const double scale = x <= step_ratio ? x / step_ratio : (x - 1) / (step_ratio - 1);
    const double height = (c_.cyclic_max_lr - c_.cyclic_base_lr) * scale;
    double factor = 1.0;
    if (s == "triangular2") factor = 1.0 / std::pow(2.0, cycle - 1);
    if (s == "exp_range") factor = std::pow(c_.cyclic_gamma, static_cast<double>(i));
    return c_.cyclic_base_lr + height * factor;
  }
  if (s == "cosine-restarts") {
    int64_t t_i = c_.cycle_epochs * per_epoch, t_cur = i;
    while (t_cur >= t_i) {
      t_cur -= t_i;
      t_i *= c_.restart_mult;
    }
    return c_.swa_lr_min +
           (c_.swa_lr_max - c_.swa_lr_min) *
               (1 + std::cos(kPi * static_cast<double>(t_cur) / static_cast<double>(t_i))) / 2;
  }
  return swalr(i / per_epoch, start_rate);  // constant (SWALR), stepped once per epoch
}

double LrSchedule::at(int64_t it) const {
  if (it < 0 || it >= total_iterations()) throw std::out_of_range("iteration outside the schedule");
  if (c_.swa_start_epoch < 0) return before_swa(it);
  const int64_t swa_first = c_.swa_start_epoch * c_.iterations_per_epoch;
  if (it < swa_first) return before_swa(it);
  const double start_rate = swa_first > 0 ? before_swa(swa_first - 1) : c_.lr;
  return swa_phase(it - swa_first, start_rate);
}

bool LrSchedule::is_cycle_end(int64_t it) const {
  if (c_.swa_start_epoch < 0) return false;
  const int64_t i = it - c_.swa_start_epoch * c_.iterations_per_epoch;
  if (i < 0) return false;
  const std::string& s = c_.swa_schedule;
  const int64_t per_epoch = c_.iterations_per_epoch;
  if (s == "cyclic") return (i + 1) % (c_.cycle_epochs * per_epoch) == 0;
  if (s == "cosine-restarts") {
    int64_t t_i = c_.cycle_epochs * per_epoch, end = t_i;
    while (end <= i) {
      t_i *= c_.restart_mult;
      end += t_i;
    }
    return i + 1 == end;
  }
  if (s == "constant") return (i + 1) % per_epoch == 0;  // SWALR: every epoch
  // CyclicLR: the low point is the end of each full cycle (2 * step_size_up iterations).
  return (i + 1) % (2 * c_.cyclic_step_size_up) == 0;
}

int64_t iterations_per_epoch(int64_t images, int64_t batch_size) {
  return (images + batch_size - 1) / batch_size;
}

std::string schedule_table(const ScheduleConfig& s) {
  const LrSchedule schedule(s);
  std::string out = "epoch  first-iteration-lr  last-iteration-lr  cycle-ends\n";
  char line[128];
  for (int64_t e = 0; e < s.epochs; ++e) {
    int ends = 0;
    for (int64_t i = e * s.iterations_per_epoch; i < (e + 1) * s.iterations_per_epoch; ++i)
      ends += schedule.is_cycle_end(i);
    std::snprintf(line, sizeof line, "%5lld  %18.6g  %17.6g  %d\n", static_cast<long long>(e + 1),
                  schedule.at(e * s.iterations_per_epoch),
                  schedule.at((e + 1) * s.iterations_per_epoch - 1), ends);
    out += line;
  }
  return out;
}

}  // namespace swa
