// The learning rate at every training iteration: an optional linear warm-up and a base schedule
// before SWA, then a cyclic or constant SWA schedule from `swa_start_epoch` on. Each piece equals
// its PyTorch counterpart step by step (tests/python/test_schedules.py):
//   warm-up          LinearLR(start_factor=1/W, total_iters=W-1), per iteration (W warm-up
//   iterations) constant         the base rate step             StepLR(step_size=step_epochs,
//   gamma=step_gamma), per epoch cosine           CosineAnnealingLR(T_max = iterations after
//   warm-up until SWA), per iteration cyclic           the SWA paper's: in each cycle of C
//   iterations the rate falls linearly from
//                    swa_lr_max to swa_lr_min, lr(i) = (1 - t) max + t min, t = ((i mod C) + 1) / C
//   triangular, triangular2, exp_range
//                    CyclicLR(base_lr, max_lr, step_size_up, mode, gamma), per iteration
//   cosine-restarts  CosineAnnealingWarmRestarts(T_0 = cycle_epochs epochs of iterations,
//                    T_mult, eta_min = swa_lr_min) from swa_lr_max, per iteration
//   constant (SWA)   SWALR(swa_lr, anneal_epochs, anneal_strategy), per epoch
// Iterations and epochs count from 0; the SWA phase counts its own iterations from 0.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace swa {

struct ScheduleConfig {
  int64_t epochs = 12;
  int64_t iterations_per_epoch = 391;
  double lr = 0.1;
  int64_t warmup_epochs = 0;
  std::string schedule = "constant";  // constant | step | cosine
  int64_t step_epochs = 30;
  double step_gamma = 0.1;

  int64_t swa_start_epoch = -1;         // -1: no SWA phase
  std::string swa_schedule = "cyclic";  // cyclic | triangular | triangular2 | exp_range |
                                        // cosine-restarts | constant
  int64_t cycle_epochs = 1;             // cyclic, cosine-restarts
  double swa_lr_max = 0.05;             // cyclic, cosine-restarts
  double swa_lr_min = 0.0005;           // cyclic, cosine-restarts (eta_min)
  int64_t restart_mult = 1;             // cosine-restarts: T_mult
  double cyclic_base_lr = 0.001;        // triangular*, exp_range
  double cyclic_max_lr = 0.1;
  int64_t cyclic_step_size_up = 100;  // iterations
  double cyclic_gamma = 1.0;          // exp_range
  double swa_lr = 0.05;               // constant (SWALR)
  int64_t anneal_epochs = 10;
  std::string anneal_strategy = "cos";  // cos | linear
};

// Every setting of ScheduleConfig that a run saves, once, under its name in config.json
// (iterations_per_epoch is derived from the data, not saved). visit(name, field).
template <typename Config, typename Visit>
void for_each_schedule_field(Config& s, Visit&& visit) {
  visit("epochs", s.epochs);
  visit("lr", s.lr);
  visit("warmup_epochs", s.warmup_epochs);
  visit("schedule", s.schedule);
  visit("step_epochs", s.step_epochs);
  visit("step_gamma", s.step_gamma);
  visit("swa_start_epoch", s.swa_start_epoch);
  visit("swa_schedule", s.swa_schedule);
  visit("cycle_epochs", s.cycle_epochs);
  visit("swa_lr_max", s.swa_lr_max);
  visit("swa_lr_min", s.swa_lr_min);
  visit("restart_mult", s.restart_mult);
  visit("cyclic_base_lr", s.cyclic_base_lr);
  visit("cyclic_max_lr", s.cyclic_max_lr);
  visit("cyclic_step_size_up", s.cyclic_step_size_up);
  visit("cyclic_gamma", s.cyclic_gamma);
  visit("swa_lr", s.swa_lr);
  visit("anneal_epochs", s.anneal_epochs);
  visit("anneal_strategy", s.anneal_strategy);
}

// The schedule names of the flags (and config.json), parsed once, by LrSchedule's constructor.
enum class BaseSchedule { kConstant, kStep, kCosine };
enum class SwaSchedule {
  kCyclic,
  kTriangular,
  kTriangular2,
  kExpRange,
  kCosineRestarts,
  kConstant
};
enum class AnnealShape { kCos, kLinear };

class LrSchedule {
 public:
  // Throws InputError, naming the flag, on inconsistent settings (a non-positive rate, SWA
  // starting beyond the last epoch, a cycle longer than the SWA phase, unknown names).
  explicit LrSchedule(ScheduleConfig config);

  double at(int64_t iteration) const;
  int64_t total_iterations() const { return c_.epochs * c_.iterations_per_epoch; }
  // True after the last iteration of an SWA cycle (the rate's low point): where snapshots go.
  bool is_cycle_end(int64_t iteration) const;
  const ScheduleConfig& config() const { return c_; }

 private:
  double before_swa(int64_t iteration) const;
  double swa_phase(int64_t iteration, double rate_at_swa_start) const;
  double swalr(int64_t epoch, double initial) const;
  void check_swa_phase() const;
  ScheduleConfig c_;
  BaseSchedule base_ = BaseSchedule::kConstant;
  SwaSchedule swa_ = SwaSchedule::kCyclic;
  AnnealShape anneal_ = AnnealShape::kCos;
};

// Steps in an epoch of `images` at `batch_size`: the last batch may be partial (PyTorch's
// DataLoader with drop_last=False).
int64_t iterations_per_epoch(int64_t images, int64_t batch_size);

// The rate of every epoch as a table (`swa-train --print-schedule`): epoch, the rate at its first
// and last iteration, and how many cycles end in it. Needs iterations_per_epoch set.
std::string schedule_table(const ScheduleConfig& config);

}  // namespace swa
