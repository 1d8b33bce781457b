#include "lib/averaging/average_snapshots.h"

#include <algorithm>
#include <filesystem>
#include <future>
#include <numeric>

#include "formats/atomic_output.h"
#include "formats/file_digest.h"
#include "formats/input_error.h"
#include "lib/averaging/snapshot_compatibility.h"
#include "lib/averaging/weighted_sum.h"

namespace swa {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return std::filesystem::equivalent(a, b, ec);
}


void require_finite(const torch::Tensor& t, const std::string& file, const std::string& key) {
  if (t.is_floating_point() && !torch::isfinite(t).all().item<bool>()) {
    const int64_t bad = (~torch::isfinite(t)).sum().item<int64_t>();
    throw InputError(file, key, std::to_string(bad) + " NaN/Inf value(s)");
  }
}

bool is_conv_or_linear_weight(const TensorInfo& t) {
  return ends_with(t.key, ".weight") && t.shape.size() >= 2;
}

}  // namespace

bool is_batchnorm_statistic(const std::string& key) {
  return ends_with(key, ".running_mean") || ends_with(key, ".running_var");
}

AverageSummary average_snapshots(const AverageRequest& req) {
  if (req.inputs.empty()) throw InputError("no snapshots to average");
  if (req.weights.size() != req.inputs.size()) throw std::logic_error("one weight per input");
  require_writable_folder(req.output);
  for (const auto& in : req.inputs) {
    if (same_file(in, req.output)) {
      throw InputError(req.output, "output would overwrite input " + in + "; choose another name");
    }
  }
  std::optional<std::regex> layers;
  if (!req.layers_pattern.empty()) {
    try {
      layers.emplace(req.layers_pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      throw InputError("--layers: '" + req.layers_pattern + "' is not a valid regex: " + e.what());
    }
  }

  // Open everything and check compatibility before creating any output.
  std::vector<std::unique_ptr<SnapshotReader>> readers;
  for (const auto& in : req.inputs) readers.push_back(open_snapshot(in));
  for (size_t i = 1; i < readers.size(); ++i) check_compatible_snapshots(*readers[0], *readers[i]);
  std::unique_ptr<SnapshotReader> own_base;
  SnapshotReader* base = readers.back().get();
  if (!req.base.empty()) {
    own_base = open_snapshot(req.base);
    check_compatible_snapshots(*readers[0], *own_base);
    base = own_base.get();
  }

  // Hash the inputs on another core while this one averages.
  auto digests = std::async(req.hash_concurrently ? std::launch::async : std::launch::deferred, [&req] {
    std::vector<std::string> out;
    for (const auto& in : req.inputs) out.push_back(sha256_file(in));
    return out;
  });

  // A fixed summation order: sorted by path, independent of the order given.
  std::vector<size_t> order(readers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return req.inputs[a] < req.inputs[b]; });

  const TensorLayout& layout = readers[0]->layout();
  auto writer = create_snapshot(req.output, layout, req.write_options);
  AverageSummary summary;
  bool bn_averaged = false;
  torch::NoGradGuard no_grad;
  // Two buffers sized for the largest tensor, reused for every key: no allocation per read.
  int64_t largest = 0;
  for (const auto& info : layout) largest = std::max(largest, info.numel());
  const torch::Tensor acc_storage = torch::empty({largest}, torch::kDouble);
  torch::Tensor input_storage;
  for (const auto& info : layout) {
    const bool average = c10::isFloatingType(info.dtype) &&
                         (!layers || std::regex_search(info.key, *layers));
    if (!average) {
      torch::Tensor t = base->read(info.key);
      require_finite(t, base->path(), info.key);
      writer->write(info.key, t);
      ++summary.tensors_from_base;
      continue;
    }
    if (!input_storage.defined() || input_storage.scalar_type() != info.dtype) {
      input_storage = torch::empty({largest}, info.dtype);
    }
    torch::Tensor acc = acc_storage.narrow(0, 0, info.numel()).view(info.shape).zero_();
    torch::Tensor input = input_storage.narrow(0, 0, info.numel()).view(info.shape);
    for (size_t i : order) {
      readers[i]->read_into(info.key, input);
      add_weighted(acc, input, req.weights[i]);
    }
    if (!all_finite(acc)) {
      for (size_t i : order) require_finite(readers[i]->read(info.key), req.inputs[i], info.key);
      throw InputError(req.output, info.key, "the average is not finite (weights too extreme?)");
    }
    torch::Tensor result = acc;
    if (req.soft_threshold > 0 && is_conv_or_linear_weight(info)) {
      result = acc.sign() * (acc.abs() - req.soft_threshold).clamp_min(0.0);
      summary.thresholded_elements += result.numel();
      summary.zero_elements += (result == 0).sum().item<int64_t>();
    }
    writer->write(info.key, result.to(info.dtype));
    ++summary.tensors_averaged;
    bn_averaged = bn_averaged || is_batchnorm_statistic(info.key);
  }

  summary.sha256 = digests.get();
  summary.bn_state = bn_averaged ? bn_state::kAveraged : base->meta().bn_state;
  SnapshotMeta meta = base->meta();
  meta.created_utc = utc_now_iso8601();
  meta.producer = producer_string("swa-average");
  meta.bn_state = summary.bn_state;
  meta.lr = meta.train_loss = meta.train_acc = meta.val_acc = meta.val_loss =
      std::numeric_limits<double>::quiet_NaN();
  nlohmann::json inputs = nlohmann::json::array();
  for (size_t i = 0; i < req.inputs.size(); ++i) {
    inputs.push_back({{"path", req.inputs[i]},
                      {"sha256", summary.sha256[i]},
                      {"weight", req.weights[i]},
                      {"epoch", readers[i]->meta().epoch}});
  }
  meta.provenance = {{"operation", "average"},
                     {"inputs", inputs},
                     {"weighting", req.weighting},
                     {"layers", req.layers_pattern.empty() ? nlohmann::json() : nlohmann::json(req.layers_pattern)},
                     {"base", base->path()},
                     {"soft_threshold", req.soft_threshold},
                     {"tensors_averaged", summary.tensors_averaged},
                     {"tensors_from_base", summary.tensors_from_base}};
  writer->commit(meta);
  summary.output_meta = meta;
  return summary;
}

}  // namespace swa
