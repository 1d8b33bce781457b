#include "lib/batchnorm/batchnorm_snapshot.h"

#include <chrono>
#include <filesystem>

#include "formats/file_digest.h"
#include "formats/input_error.h"
#include "formats/output_guard.h"
#include "lib/data/image_batches.h"
#include "lib/models/load_model.h"
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

}  // namespace

BatchNormSummary recompute_snapshot_batchnorm(const BatchNormRequest& req) {
  const auto start = std::chrono::steady_clock::now();
  OutputGuard guard({req.input});
  for (const auto& f : cifar10_files(req.data.dir)) guard.add_input(f);
  guard.check_file("-o", req.output);
  format_for_path(req.output);  // an unknown extension fails now, not after the pass
  const std::optional<FileIdentity> opened = identity_of(req.input);
  LoadedModel loaded = load_model(req.input, req.arch_override);
  ImageSet images = load_cifar10(req.data, req.split);
  if (req.samples > 0)
    images = images.subset(seeded_subset(images.size(), req.samples, req.pass.seed));
  const BatchNormPass pass = run_batchnorm_pass(loaded.model, images, req.pass);
  const int64_t seen = pass.images;

  StateDict state;
  for (const auto& [key, t] : state_dict(*loaded.model)) {
    state.emplace_back(key, t.to(torch::kCPU).contiguous());
  }
  SnapshotMeta meta = loaded.meta;
  meta.bn_state = bn_state::kRecomputed;
  meta.created_utc = utc_now_iso8601();
  meta.producer = producer_string("swa-bn");
  nlohmann::json previous = meta.provenance;
  meta.provenance = {
      {"operation", "recompute_batchnorm"},
      {"input", req.input},
      {"input_sha256", digest_of_opened(req.input, opened)},
      {"data", req.data.dir},
      {"split", split_name(req.split)},
      {"validation_size", req.data.validation_size},
      {"images", seen},
      {"subset_seed", req.samples > 0 ? nlohmann::json(req.pass.seed) : nlohmann::json()},
      {"augment", req.pass.augment},
      {"batch_size", req.pass.batch_size},
      {"previous", previous}};
  if (Ranks::of(req.pass.ranks).leads()) save_snapshot(req.output, meta, state);

  BatchNormSummary out;
  out.input = req.input;
  out.output = req.output;
  out.arch = meta.arch;
  out.split = split_name(req.split);
  out.device = req.pass.device.str();
  out.pass = pass;
  out.images_per_second =
      pass.pass_seconds > 0 ? static_cast<double>(seen) / pass.pass_seconds : 0.0;
  out.total_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace swa
