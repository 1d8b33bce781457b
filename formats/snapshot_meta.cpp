#include "formats/snapshot_meta.h"

#include <cmath>
#include <cstdlib>
#include <ctime>

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
  try {
    out = it->get<T>();
  } catch (const nlohmann::json::exception&) {
    throw InputError(
        file, std::string("metadata field '") + name + "' has the wrong type: " + it->dump());
  }
}

}  // namespace

nlohmann::json meta_to_json(const SnapshotMeta& m) {
  return {{"format", kSnapshotFormatName},
          {"format_version", m.format_version},
          {"arch", m.arch},
          {"num_classes", m.num_classes},
          {"epoch", m.epoch},
          {"cycle", m.cycle},
          {"step", m.step},
          {"lr", real_or_null(m.lr)},
          {"train_loss", real_or_null(m.train_loss)},
          {"train_acc", real_or_null(m.train_acc)},
          {"val_acc", real_or_null(m.val_acc)},
          {"val_loss", real_or_null(m.val_loss)},
          {"seed", m.seed},
          {"created_utc", m.created_utc},
          {"producer", m.producer},
          {"bn_state", m.bn_state},
          {"config", m.config},
          {"provenance", m.provenance}};
}

SnapshotMeta meta_from_json(const nlohmann::json& j, const std::string& file) {
  if (!j.is_object()) throw InputError(file, "metadata is not a JSON object");
  SnapshotMeta m;
  read_field(j, "format_version", m.format_version, file);
  read_field(j, "arch", m.arch, file);
  read_field(j, "num_classes", m.num_classes, file);
  read_field(j, "epoch", m.epoch, file);
  read_field(j, "cycle", m.cycle, file);
  read_field(j, "step", m.step, file);
  read_field(j, "lr", m.lr, file);
  read_field(j, "train_loss", m.train_loss, file);
  read_field(j, "train_acc", m.train_acc, file);
  read_field(j, "val_acc", m.val_acc, file);
  read_field(j, "val_loss", m.val_loss, file);
  read_field(j, "seed", m.seed, file);
  read_field(j, "created_utc", m.created_utc, file);
  read_field(j, "producer", m.producer, file);
  read_field(j, "bn_state", m.bn_state, file);
  if (j.contains("config")) m.config = j["config"];
  if (j.contains("provenance")) m.provenance = j["provenance"];
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
