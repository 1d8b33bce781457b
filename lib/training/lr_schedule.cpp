#include "lib/training/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <utility>

#include "formats/input_error.h"

namespace swa {
namespace {

constexpr double kPi = 3.14159265358979323846;

void require(bool ok, const std::string& message) {
  if (!ok) throw InputError(message);
}

// The value `names` gives `name`; InputError "FLAG must be a, b or c, got 'x'" for another.
template <typename Enum, size_t N>
Enum parse_name(const std::pair<const char*, Enum> (&names)[N], const std::string& name,
                const std::string& flag) {
  std::string known;
  for (size_t i = 0; i < N; ++i) {
    if (name == names[i].first) return names[i].second;
    known += std::string(i == 0 ? "" : i + 1 == N ? " or " : ", ") + names[i].first;
  }
  throw InputError(flag + " must be " + known + ", got '" + name + "'");
}

constexpr std::pair<const char*, BaseSchedule> kBaseSchedules[] = {
    {"constant", BaseSchedule::kConstant},
    {"step", BaseSchedule::kStep},
    {"cosine", BaseSchedule::kCosine}};
constexpr std::pair<const char*, SwaSchedule> kSwaSchedules[] = {
    {"cyclic", SwaSchedule::kCyclic},
    {"triangular", SwaSchedule::kTriangular},
    {"triangular2", SwaSchedule::kTriangular2},
    {"exp_range", SwaSchedule::kExpRange},
    {"cosine-restarts", SwaSchedule::kCosineRestarts},
    {"constant", SwaSchedule::kConstant}};
constexpr std::pair<const char*, AnnealShape> kAnnealShapes[] = {{"cos", AnnealShape::kCos},
                                                                 {"linear", AnnealShape::kLinear}};

bool is_cyclic_lr(SwaSchedule s) {
  return s == SwaSchedule::kTriangular || s == SwaSchedule::kTriangular2 ||
         s == SwaSchedule::kExpRange;
}

}  // namespace

LrSchedule::LrSchedule(ScheduleConfig c) : c_(std::move(c)) {
  require(c_.epochs > 0, "--epochs must be positive");
  require(c_.iterations_per_epoch > 0, "iterations per epoch must be positive");
  require(c_.lr > 0, "--lr must be positive, got " + std::to_string(c_.lr));
  require(c_.warmup_epochs >= 0, "--warmup-epochs must not be negative");
  base_ = parse_name(kBaseSchedules, c_.schedule, "--schedule");
  const int64_t pre_swa = c_.swa_start_epoch >= 0 ? c_.swa_start_epoch : c_.epochs;
  require(c_.warmup_epochs <= pre_swa, "--warmup-epochs must end before --swa-start");
  if (base_ == BaseSchedule::kStep)
    require(c_.step_epochs > 0 && c_.step_gamma > 0,
            "--step-epochs and --step-gamma must be positive");
  if (c_.swa_start_epoch < 0) return;
  swa_ = parse_name(kSwaSchedules, c_.swa_schedule, "--swa-schedule");
  if (swa_ == SwaSchedule::kConstant)
    anneal_ = parse_name(kAnnealShapes, c_.anneal_strategy, "--anneal-strategy");
  check_swa_phase();
}

// The SWA phase's own flags, for the schedule it runs.
void LrSchedule::check_swa_phase() const {
  require(c_.swa_start_epoch < c_.epochs, "--swa-start " + std::to_string(c_.swa_start_epoch) +
                                              " is not before --epochs " +
                                              std::to_string(c_.epochs));
  const int64_t swa_epochs = c_.epochs - c_.swa_start_epoch;
  if (swa_ == SwaSchedule::kCyclic || swa_ == SwaSchedule::kCosineRestarts) {
    require(c_.cycle_epochs > 0, "--cycle-epochs must be positive");
    require(c_.cycle_epochs <= swa_epochs, "--cycle-epochs " + std::to_string(c_.cycle_epochs) +
                                               " is longer than the SWA phase (" +
                                               std::to_string(swa_epochs) + " epochs)");
    require(c_.swa_lr_max > 0 && c_.swa_lr_min > 0 && c_.swa_lr_min <= c_.swa_lr_max,
            "--swa-lr-max and --swa-lr-min must be positive, min <= max");
    require(c_.restart_mult >= 1, "--restart-mult must be at least 1");
  } else if (is_cyclic_lr(swa_)) {
    require(c_.cyclic_base_lr > 0 && c_.cyclic_max_lr > 0,
            "--base-lr and --max-lr must be positive");
    require(c_.cyclic_step_size_up > 0, "--step-size-up must be positive");
    require(2 * c_.cyclic_step_size_up <= swa_epochs * c_.iterations_per_epoch,
            "--step-size-up: a cycle is longer than the SWA phase");
    require(c_.cyclic_gamma > 0, "--gamma must be positive");
  } else {  // constant (SWALR)
    require(c_.swa_lr > 0, "--swa-lr must be positive");
    require(c_.anneal_epochs >= 0, "--anneal-epochs must not be negative");
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
  if (base_ == BaseSchedule::kStep) {
    return c_.lr * std::pow(c_.step_gamma, static_cast<double>((it / per_epoch) / c_.step_epochs));
  }
  if (base_ == BaseSchedule::kCosine) {
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
    return anneal_ == AnnealShape::kCos ? (1 - std::cos(kPi * t)) / 2 : t;
  };
  const int64_t step = c_.anneal_epochs == 0 ? std::max<int64_t>(1, epoch) : epoch;
  const double span = static_cast<double>(std::max<int64_t>(1, c_.anneal_epochs));
  const double alpha = anneal(std::clamp(static_cast<double>(step) / span, 0.0, 1.0));
  return c_.swa_lr * alpha + initial * (1 - alpha);
}

double LrSchedule::swa_phase(int64_t i, double start_rate) const {
  const int64_t per_epoch = c_.iterations_per_epoch;
  if (swa_ == SwaSchedule::kCyclic) {
    const int64_t cycle = c_.cycle_epochs * per_epoch;
    const double t = static_cast<double>(i % cycle + 1) / static_cast<double>(cycle);
    return (1 - t) * c_.swa_lr_max + t * c_.swa_lr_min;
  }
  if (is_cyclic_lr(swa_)) {
    const double total = 2.0 * static_cast<double>(c_.cyclic_step_size_up);
    const double step_ratio = 0.5;
    const double cycle = std::floor(1 + static_cast<double>(i) / total);
    const double x = 1.0 + static_cast<double>(i) / total - cycle;
    const double scale = x <= step_ratio ? x / step_ratio : (x - 1) / (step_ratio - 1);
    const double height = (c_.cyclic_max_lr - c_.cyclic_base_lr) * scale;
    double factor = 1.0;
    if (swa_ == SwaSchedule::kTriangular2) factor = 1.0 / std::pow(2.0, cycle - 1);
    if (swa_ == SwaSchedule::kExpRange) factor = std::pow(c_.cyclic_gamma, static_cast<double>(i));
    return c_.cyclic_base_lr + height * factor;
  }
  if (swa_ == SwaSchedule::kCosineRestarts) {
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
  const int64_t per_epoch = c_.iterations_per_epoch;
  if (swa_ == SwaSchedule::kCyclic) return (i + 1) % (c_.cycle_epochs * per_epoch) == 0;
  if (swa_ == SwaSchedule::kCosineRestarts) {
    int64_t t_i = c_.cycle_epochs * per_epoch, end = t_i;
    while (end <= i) {
      t_i *= c_.restart_mult;
      end += t_i;
    }
    return i + 1 == end;
  }
  if (swa_ == SwaSchedule::kConstant) return (i + 1) % per_epoch == 0;  // SWALR: every epoch
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
