#include "lib/training/fit_monitor.h"

namespace swa {
namespace {
nlohmann::json real_or_null(double v) {
  return std::isnan(v) ? nlohmann::json() : nlohmann::json(v);
}
double real_from(const nlohmann::json& j) { return j.is_null() ? NAN : j.get<double>(); }
}  // namespace

FitFlags FitMonitor::update(double train_loss, double train_acc, double val_loss) {
  FitFlags f;
  const bool val_rose = std::isfinite(prev_val_loss_) && val_loss > prev_val_loss_;
  f.overfitting = val_rose && train_loss < prev_train_loss_;
  train_acc_.push_back(train_acc);
  const size_t n = train_acc_.size();
  f.underfitting = n >= 3 && train_acc_[n - 1] - train_acc_[n - 3] < 0.5 && train_acc < 99.0;
  rising_ = val_rose ? rising_ + 1 : 0;
  prev_val_loss_ = val_loss;
  prev_train_loss_ = train_loss;
  return f;
}

nlohmann::json FitMonitor::state() const {
  return {{"prev_val_loss", real_or_null(prev_val_loss_)},
          {"prev_train_loss", real_or_null(prev_train_loss_)},
          {"train_acc_history", train_acc_},
          {"rising_epochs", rising_}};
}

void FitMonitor::restore(const nlohmann::json& s) {
  prev_val_loss_ = real_from(s.at("prev_val_loss"));
  prev_train_loss_ = real_from(s.at("prev_train_loss"));
  train_acc_ = s.at("train_acc_history").get<std::vector<double>>();
  rising_ = s.at("rising_epochs");
}

}  // namespace swa
