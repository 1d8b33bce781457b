// Watches the per-epoch losses for the two ways training goes wrong:
//   over-fitting   validation loss rises while training loss falls
//   under-fitting  training accuracy gained less than half a point over the last three epochs
//                  (while still below 99 %)
// and counts consecutive epochs of rising validation loss for early stopping.
#pragma once
#include <cmath>
#include <nlohmann/json.hpp>
#include <vector>

namespace swa {

struct FitFlags {
  bool overfitting = false;
  bool underfitting = false;
  nlohmann::json to_json() const {
    return {{"overfitting", overfitting}, {"underfitting", underfitting}};
  }
};

class FitMonitor {
 public:
  // One call per epoch; NaN validation loss (no validation split) never flags over-fitting.
  FitFlags update(double train_loss, double train_acc, double val_loss);
  // True once validation loss has risen for `patience` epochs in a row (patience > 0).
  bool should_stop(int64_t patience) const { return patience > 0 && rising_ >= patience; }
  int64_t rising_epochs() const { return rising_; }

  nlohmann::json state() const;  // for last.h5, so a resumed run keeps watching
  void restore(const nlohmann::json& state);

 private:
  double prev_val_loss_ = NAN, prev_train_loss_ = NAN;
  std::vector<double> train_acc_;
  int64_t rising_ = 0;
};

}  // namespace swa
