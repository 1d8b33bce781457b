// What a report cost: seconds and images per kind of work, so the report can state its compute.
#pragma once
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace swa {

class ComputeLedger {
 public:
  void add(const std::string& stage, double seconds, int64_t images = 0);
  double seconds(const std::string& stage) const;
  double total_seconds() const;
  // {"stages": {stage: {"seconds", "images", "passes"}}, "total_seconds"}
  nlohmann::json to_json() const;

 private:
  struct Entry {
    double seconds = 0;
    int64_t images = 0, passes = 0;
  };
  std::map<std::string, Entry> stages_;
};

// Times a block: ledger.add(stage, elapsed, images) when it ends.
class StageTimer {
 public:
  StageTimer(ComputeLedger& ledger, std::string stage, int64_t images = 0);
  ~StageTimer();
  StageTimer(const StageTimer&) = delete;
  StageTimer& operator=(const StageTimer&) = delete;

 private:
  ComputeLedger& ledger_;
  std::string stage_;
  int64_t images_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace swa
