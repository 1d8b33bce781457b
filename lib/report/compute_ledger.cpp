#include "lib/report/compute_ledger.h"

namespace swa {

void ComputeLedger::add(const std::string& stage, double seconds, int64_t images) {
  auto& e = stages_[stage];
  e.seconds += seconds;
  e.images += images;
  e.passes += 1;
}

double ComputeLedger::seconds(const std::string& stage) const {
  const auto it = stages_.find(stage);
  return it == stages_.end() ? 0.0 : it->second.seconds;
}

double ComputeLedger::total_seconds() const {
  double total = 0;
  for (const auto& [stage, e] : stages_) total += e.seconds;
  return total;
}

nlohmann::json ComputeLedger::to_json() const {
  nlohmann::json stages = nlohmann::json::object();
  for (const auto& [stage, e] : stages_) {
    stages[stage] = {{"seconds", e.seconds}, {"images", e.images}, {"passes", e.passes}};
  }
  return {{"stages", stages}, {"total_seconds", total_seconds()}};
}

StageTimer::StageTimer(ComputeLedger& ledger, std::string stage, int64_t images)
    : ledger_(ledger),
      stage_(std::move(stage)),
      images_(images),
      start_(std::chrono::steady_clock::now()) {}

StageTimer::~StageTimer() {
  ledger_.add(stage_,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(),
              images_);
}

}  // namespace swa
