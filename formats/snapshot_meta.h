// What a snapshot says about itself, common to every file format (see formats/SNAPSHOT.md).
// Unknown integers are -1, unknown reals NaN, unknown strings empty.
#pragma once
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

namespace swa {

constexpr int64_t kSnapshotFormatVersion = 1;
constexpr const char* kSnapshotFormatName = "swa-snapshot";

// How the BatchNorm running statistics in a snapshot came about.
namespace bn_state {
constexpr const char* kTrained = "trained";        // as training left them
constexpr const char* kAveraged = "averaged";      // averaged with the weights: usually wrong
constexpr const char* kRecomputed = "recomputed";  // re-estimated for these weights
constexpr const char* kNone = "none";              // the model has no BatchNorm
}  // namespace bn_state

struct SnapshotMeta {
  int64_t format_version = kSnapshotFormatVersion;
  std::string arch;  // e.g. "resnet50", "resnet18-cifar-w8"
  int64_t num_classes = -1;
  int64_t epoch = -1;
  int64_t cycle = -1;
  int64_t step = -1;
  double lr = std::numeric_limits<double>::quiet_NaN();
  double train_loss = std::numeric_limits<double>::quiet_NaN();
  double train_acc = std::numeric_limits<double>::quiet_NaN();
  double val_acc = std::numeric_limits<double>::quiet_NaN();
  double val_loss = std::numeric_limits<double>::quiet_NaN();
  int64_t seed = -1;
  std::string created_utc;
  std::string producer;
  std::string bn_state = bn_state::kTrained;
  nlohmann::json config = nlohmann::json::object();  // the run configuration
  nlohmann::json provenance =
      nlohmann::json::object();  // how the file was derived (inputs, weights)
};

// Every field of SnapshotMeta, once, under the name every container and JSON output uses:
// HDF5 root attributes, the JSON of .pt and safetensors files, `--json` outputs. Each reader and
// writer walks this table, so a new field is one line here (and one in the struct).
// visit(name, field) receives int64_t, double, std::string or nlohmann::json fields, const when
// `meta` is.
template <typename Meta, typename Visit>
void for_each_meta_field(Meta& meta, Visit&& visit) {
  visit("format_version", meta.format_version);
  visit("arch", meta.arch);
  visit("num_classes", meta.num_classes);
  visit("epoch", meta.epoch);
  visit("cycle", meta.cycle);
  visit("step", meta.step);
  visit("lr", meta.lr);
  visit("train_loss", meta.train_loss);
  visit("train_acc", meta.train_acc);
  visit("val_acc", meta.val_acc);
  visit("val_loss", meta.val_loss);
  visit("seed", meta.seed);
  visit("created_utc", meta.created_utc);
  visit("producer", meta.producer);
  visit("bn_state", meta.bn_state);
  visit("config", meta.config);
  visit("provenance", meta.provenance);
}

// JSON form used by the .pt and safetensors containers and by `--json` outputs.
// NaN reals are written as null.
nlohmann::json meta_to_json(const SnapshotMeta& meta);
// Throws InputError naming `file` when a field has the wrong type.
SnapshotMeta meta_from_json(const nlohmann::json& j, const std::string& file);

// A named numeric field ("epoch", "val_acc", ...) for selection and weighting; NaN when unknown.
// Throws InputError for names that are not numeric fields.
double meta_number(const SnapshotMeta& meta, const std::string& field);

// Current UTC time as ISO 8601, e.g. "2026-11-26T15:05:39Z"; $SOURCE_DATE_EPOCH when set.
std::string utc_now_iso8601();
std::string producer_string(const std::string& tool);

}  // namespace swa
