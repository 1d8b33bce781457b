#include "lib/batchnorm/batchnorm_snapshot.h"

#include <chrono>
#include <filesystem>

#include "formats/file_digest.h"
#include "formats/input_error.h"
#include "formats/output_guard.h"
#include "lib/batchnorm/scripted_batchnorm_pass.h"
#include "lib/data/image_batches.h"
#include "lib/data/open_example_source.h"
#include "lib/models/load_model.h"
#include "lib/models/scripted_model.h"
#include "lib/models/state_dict.h"

namespace swa {

namespace {

// The SHA-256 of the input as it was loaded: refused when the file changed since.
std::string digest_of_opened(const std::string& path, const std::optional<FileIdentity>& opened) {
  const std::string digest = sha256_file(path);
  if (!opened) throw InputError(path, "no such file");
  require_unchanged(path, *opened);
  return digest;
}

// Refuses an output that would overwrite an input, before anything is read.
void check_output(const BatchNormRequest& req) {
  OutputGuard guard({req.input});
  for (const auto& f : data_files(req.data.dir)) guard.add_input(f);
  if (!req.model.empty()) guard.add_input(req.model);
  guard.check_file("-o", req.output);
  format_for_path(req.output);  // an unknown extension fails now, not after the pass
}

// The output's metadata: the input's, with how it was derived.
SnapshotMeta derived_meta(const BatchNormRequest& req, SnapshotMeta meta, const std::string& state,
                          const std::optional<FileIdentity>& opened, int64_t images) {
  meta.bn_state = state;
  meta.created_utc = utc_now_iso8601();
  meta.producer = producer_string("swa-bn");
  nlohmann::json previous = meta.provenance;
  meta.provenance = {
      {"operation", "recompute_batchnorm"},
      {"input", req.input},
      {"input_sha256", digest_of_opened(req.input, opened)},
      {"data", req.data.dir},
      {"split", split_label(req.data.dir, req.split)},
      {"validation_size", req.data.validation_size},
      {"images", images},
      {"subset_seed", req.samples > 0 ? nlohmann::json(req.pass.seed) : nlohmann::json()},
      {"augment", req.pass.augment},
      {"batch_size", req.pass.batch_size},
      {"previous", previous}};
  if (!req.model.empty()) meta.provenance["model"] = req.model;
  return meta;
}

BatchNormSummary summary_of(const BatchNormRequest& req, const SnapshotMeta& meta,
                            const BatchNormPass& pass,
                            std::chrono::steady_clock::time_point start) {
  BatchNormSummary out;
  out.input = req.input;
  out.output = req.output;
  out.arch = meta.arch;
  out.bn_state = meta.bn_state;
  out.split = split_label(req.data.dir, req.split);
  out.device = req.pass.device.str();
  out.pass = pass;
  out.images_per_second =
      pass.pass_seconds > 0 ? static_cast<double>(pass.images) / pass.pass_seconds : 0.0;
  out.total_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

BatchNormSummary recompute_scripted_batchnorm(const BatchNormRequest& req) {
  const auto start = std::chrono::steady_clock::now();
  check_output(req);
  if (!req.arch_override.empty())
    throw InputError("--arch", "names a built-in ResNet; --model gives the architecture");
  const std::optional<FileIdentity> opened = identity_of(req.input);
  ScriptedSnapshot loaded = load_scripted_snapshot(req.model, req.input, req.state_dict_key);
  ScriptedModel& model = loaded.model;
  const auto& snapshot = loaded.snapshot;
  const SnapshotFit& fit = loaded.fit;
  DataRequest data = data_request(req.data, req.split, req.tensors);
  data.samples = req.samples;
  data.seed = req.pass.seed;
  data.tensors.labels_required = false;
  const auto examples = open_example_source(data);
  const ScriptedBatchNormPass scripted = run_scripted_batchnorm_pass(model, *examples, req.pass);

  BatchNormPass pass;
  pass.images = scripted.layers > 0 ? scripted.images : 0;
  pass.pass_seconds = scripted.pass_seconds;
  pass.layout_source = {ChoiceSource::Kind::kSetting, "--model"};
  const std::string state = scripted.layers > 0 ? bn_state::kRecomputed : bn_state::kNone;
  const SnapshotMeta meta = derived_meta(req, snapshot->meta(), state, opened, pass.images);
  if (Ranks::of(req.pass.ranks).leads())
    save_snapshot(req.output, meta, scripted_state(model, snapshot->layout()));
  BatchNormSummary out = summary_of(req, meta, pass, start);
  out.arch = model.type_name;
  out.layers = scripted.layers;
  out.notes.push_back("data: " + examples->description());
  if (!fit.kept.empty()) out.notes.push_back(kept_buffers_note(fit));
  if (!scripted.left_alone.empty()) {
    std::string names;
    for (const auto& n : scripted.left_alone) names += (names.empty() ? "" : ", ") + n;
    out.notes.push_back("left as they are (not torch's BatchNorm with running statistics): " +
                        names);
  }
  if (scripted.layers == 0)
    out.notes.push_back("the model has no BatchNorm layer: the snapshot is written unchanged");
  return out;
}

}  // namespace

BatchNormSummary recompute_snapshot_batchnorm(const BatchNormRequest& req) {
  if (!req.model.empty()) return recompute_scripted_batchnorm(req);
  if (names_tensor_file(req.data.dir)) {
    throw InputError("--data " + req.data.dir,
                     "a tensor file is read with --model (a TorchScript file of the architecture); "
                     "the built-in ResNets read CIFAR-10 folders");
  }
  const auto start = std::chrono::steady_clock::now();
  check_output(req);
  const std::optional<FileIdentity> opened = identity_of(req.input);
  LoadedModel loaded = load_model(req.input, req.arch_override, req.state_dict_key);
  ImageSet images = load_cifar10(req.data, req.split);
  if (req.samples > 0)
    images = images.subset(seeded_subset(images.size(), req.samples, req.pass.seed));
  const BatchNormPass pass = run_batchnorm_pass(loaded.model, images, req.pass);

  StateDict state;
  for (const auto& [key, t] : state_dict(*loaded.model)) {
    state.emplace_back(key, t.to(torch::kCPU).contiguous());
  }
  const SnapshotMeta meta =
      derived_meta(req, loaded.meta, bn_state::kRecomputed, opened, pass.images);
  if (Ranks::of(req.pass.ranks).leads()) save_snapshot(req.output, meta, state);
  return summary_of(req, meta, pass, start);
}

}  // namespace swa
