#include "lib/training/train_config.h"

#include <algorithm>

#include "formats/input_error.h"

namespace swa {

nlohmann::json TrainConfig::to_json() const {
  nlohmann::json j, schedule_json;
  for_each_train_field(*this, [&](const char* name, const auto& field) { j[name] = field; });
  for_each_schedule_field(
      schedule, [&](const char* name, const auto& field) { schedule_json[name] = field; });
  j["schedule"] = schedule_json;
  return j;
}

TrainConfig config_from_json(const nlohmann::json& j, const std::string& path) {
  TrainConfig c;
  auto read = [&](const nlohmann::json& from, const char* name, auto& field) {
    const auto it = from.find(name);
    if (it == from.end()) return;
    try {
      it->get_to(field);
    } catch (const nlohmann::json::exception&) {
      throw InputError(path, std::string("cannot resume: the saved setting '") + name +
                                 "' has the wrong type: " + it->dump());
    }
  };
  if (!j.is_object())
    throw InputError(path, "cannot resume: the saved configuration is not an object");
  for_each_train_field(c, [&](const char* name, auto& field) { read(j, name, field); });
  const auto schedule = j.find("schedule");
  if (schedule != j.end() && schedule->is_object()) {
    for_each_schedule_field(c.schedule,
                            [&](const char* name, auto& field) { read(*schedule, name, field); });
  }
  return c;
}

TrainConfig resumed_config(const nlohmann::json& saved, const std::string& source,
                           const TrainConfig& command) {
  TrainConfig c = config_from_json(saved, source);
  if (command.schedule.epochs > 0) {
    c.schedule.epochs = std::max(command.schedule.epochs, c.schedule.epochs);
  }
  c.run_dir = command.run_dir;
  c.progress = command.progress;
  c.epoch_lines = command.epoch_lines;
  c.device = command.device;
  return c;
}

}  // namespace swa
