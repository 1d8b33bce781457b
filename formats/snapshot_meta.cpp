#include "formats/snapshot_meta.h"

#include <cmath>
#include <cstdlib>
#include <ctime>
#include <type_traits>

#include "formats/input_error.h"

namespace swa {
namespace {

nlohmann::json real_or_null(double v) {
  return std::isnan(v) ? nlohmann::json() : nlohmann::json(v);
}

template <typename T>
void read_field(const nlohmann::json& j, const char* name, T& out, const std::string& file) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return;
  if constexpr (std::is_same_v<T, nlohmann::json>) {
    out = *it;
  } else {
    try {
      out = it->get<T>();
    } catch (const nlohmann::json::exception&) {
      throw InputError(
          file, std::string("metadata field '") + name + "' has the wrong type: " + it->dump());
    }
  }
}

}  // namespace

nlohmann::json meta_to_json(const SnapshotMeta& m) {
  nlohmann::json j = {{"format", kSnapshotFormatName}};
  for_each_meta_field(m, [&](const char* name, const auto& field) {
    if constexpr (std::is_same_v<std::decay_t<decltype(field)>, double>) {
      j[name] = real_or_null(field);
    } else {
      j[name] = field;
    }
  });
  return j;
}

SnapshotMeta meta_from_json(const nlohmann::json& j, const std::string& file) {
  if (!j.is_object()) throw InputError(file, "metadata is not a JSON object");
  SnapshotMeta m;
  for_each_meta_field(m, [&](const char* name, auto& field) { read_field(j, name, field, file); });
  return m;
}

double meta_number(const SnapshotMeta& m, const std::string& field) {
  auto as_real = [](int64_t v) {
    return v < 0 ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(v);
  };
  if (field == "epoch") return as_real(m.epoch);
  if (field == "cycle") return as_real(m.cycle);
  if (field == "step") return as_real(m.step);
  if (field == "lr") return m.lr;
  if (field == "train_loss") return m.train_loss;
  if (field == "train_acc") return m.train_acc;
  if (field == "val_acc") return m.val_acc;
  if (field == "val_loss") return m.val_loss;
  throw InputError("unknown metadata field '" + field +
                   "' (expected one of epoch, cycle, step, lr, train_loss, train_acc, val_acc, "
                   "val_loss)");
}

std::string utc_now_iso8601() {
  // SOURCE_DATE_EPOCH (reproducible-builds.org) pins the time, so outputs can be byte-identical.
  std::time_t now = std::time(nullptr);
  if (const char* fixed = std::getenv("SOURCE_DATE_EPOCH"); fixed && *fixed)
    now = static_cast<std::time_t>(std::atoll(fixed));
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string producer_string(const std::string& tool) { return tool + " (swa 0.1.0)"; }

}  // namespace swa
