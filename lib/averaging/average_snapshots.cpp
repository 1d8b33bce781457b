// Keys outer, inputs inner: for each tensor, every input's bytes stream through a small block
// buffer into a float64 accumulator. Blocks are split between threads (each owns its slice of
// the accumulator, so the sum per element keeps the fixed input order), and each block is
// checksummed on the way (fletcher32 pieces add up in any order). Reading is pread from the
// page cache: nothing is mapped, nothing per input is held between tensors.
#include "lib/averaging/average_snapshots.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <future>
#include <limits>
#include <thread>

#include "formats/atomic_output.h"
#include "formats/input_error.h"
#include "lib/averaging/element_conversion.h"
#include "lib/averaging/input_digests.h"
#include "lib/averaging/snapshot_compatibility.h"
#include "lib/averaging/summation_order.h"
#include "lib/models/batchnorm_keys.h"
#include "lib/runtime/large_buffer.h"
#include "lib/runtime/run_workers.h"

namespace swa {
namespace {

constexpr int64_t kBlockBytes = 128 << 10;  // an input block and its float64 slice stay in L2

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return std::filesystem::equivalent(a, b, ec);
}

bool is_conv_or_linear_weight(const StoredTensor& t) {
  return ends_with(t.key, ".weight") && t.shape.size() >= 2;
}

int worker_count(int requested) {
  if (requested > 0) return requested;
  return static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 8u));
}

// A byte range of one tensor that lies inside one checksum segment of every input.
struct Block {
  int64_t begin, end;
};

// The tensor cut at every input's segment boundaries, then into blocks of at most kBlockBytes.
std::vector<Block> plan_blocks(const std::vector<std::vector<int64_t>>& segment_ends) {
  std::vector<int64_t> cuts{0};
  for (const auto& ends : segment_ends) cuts.insert(cuts.end(), ends.begin(), ends.end());
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  std::vector<Block> blocks;
  for (size_t c = 1; c < cuts.size(); ++c) {
    for (int64_t b = cuts[c - 1]; b < cuts[c]; b += kBlockBytes)
      blocks.push_back({b, std::min(cuts[c], b + kBlockBytes)});
  }
  return blocks;
}

size_t segment_of(const std::vector<int64_t>& ends, int64_t byte) {
  return static_cast<size_t>(std::upper_bound(ends.begin(), ends.end(), byte) - ends.begin());
}

// Sums tensor t of every input (in `order`, weighted) into acc[0, numel).
class TensorAccumulator {
 public:
  TensorAccumulator(const std::vector<std::unique_ptr<TensorFileReader>>& readers,
                    const std::vector<size_t>& order, const std::vector<double>& weights,
                    int workers)
      : readers_(readers),
        order_(order),
        weights_(weights),
        workers_(workers),
        buffers_(static_cast<size_t>(workers),
                 std::vector<char>(static_cast<size_t>(kBlockBytes))) {}

  void run(size_t t, double* acc) {
    const StoredTensor& info = readers_[0]->layout()[t];
    const bool ranged = std::all_of(readers_.begin(), readers_.end(),
                                    [](const auto& r) { return r->reads_any_range(); });
    std::vector<std::vector<int64_t>> ends;
    for (const auto& r : readers_) ends.push_back(r->segment_ends(t));
    if (!ranged) {  // some input must be decoded whole (compressed HDF5): one tensor at a time
      std::fill(acc, acc + info.numel(), 0.0);
      std::vector<char> buffer(static_cast<size_t>(info.nbytes()));
      for (size_t i : order_) {
        readers_[i]->read_tensor(t, buffer.data());
        add_weighted_elements(acc, buffer.data(), info.type, info.numel(), weights_[i]);
      }
      return;
    }
    const auto blocks = plan_blocks(ends);
    const int workers =
        static_cast<int>(std::min<size_t>(static_cast<size_t>(workers_), blocks.size()));
    // sums[w][i][s]: worker w's share of input i's segment s.
    std::vector<std::vector<std::vector<SegmentChecksum>>> sums(
        static_cast<size_t>(std::max(workers, 1)));
    for (auto& per_worker : sums) {
      for (const auto& e : ends) per_worker.emplace_back(e.size());
    }
    auto work = [&](int w) {
      std::vector<char>& buffer = buffers_[static_cast<size_t>(w)];
      const int64_t esize = element_size(info.type);
      for (size_t b = static_cast<size_t>(w); b < blocks.size();
           b += static_cast<size_t>(workers)) {
        const Block& block = blocks[b];
        double* slice = acc + block.begin / esize;
        const int64_t n = (block.end - block.begin) / esize;
        std::fill(slice, slice + n, 0.0);
        for (size_t i : order_) {
          SegmentChecksum& sum = sums[static_cast<size_t>(w)][i][segment_of(ends[i], block.begin)];
          readers_[i]->read_range(t, block.begin, block.end - block.begin, buffer.data(), sum);
          add_weighted_elements(slice, buffer.data(), info.type, n, weights_[i]);
        }
      }
    };
    run_workers(workers, work);
    for (size_t i = 0; i < readers_.size(); ++i) {
      for (size_t s = 0; s < ends[i].size(); ++s) {
        SegmentChecksum whole;
        for (const auto& per_worker : sums) whole.merge(per_worker[i][s]);
        readers_[i]->verify_segment(t, s, whole);
      }
    }
  }

 private:
  const std::vector<std::unique_ptr<TensorFileReader>>& readers_;
  const std::vector<size_t>& order_;
  const std::vector<double>& weights_;
  int workers_;
  std::vector<std::vector<char>> buffers_;  // one block per worker
};

// Names the input that holds NaN/Inf in tensor t, or the weights when none does.
[[noreturn]] void explain_non_finite(const std::vector<std::unique_ptr<TensorFileReader>>& readers,
                                     const std::vector<size_t>& order, size_t t,
                                     const std::string& output) {
  const StoredTensor& info = readers[0]->layout()[t];
  std::vector<char> buffer(static_cast<size_t>(info.nbytes()));
  for (size_t i : order) {
    readers[i]->read_tensor(t, buffer.data());
    const int64_t bad = count_non_finite(buffer.data(), info.type, info.numel());
    if (bad > 0)
      throw InputError(readers[i]->path(), info.key, std::to_string(bad) + " NaN/Inf value(s)");
  }
  throw InputError(output, info.key, "the average is not finite (weights too extreme?)");
}

// Refuses a request before any work: no inputs, an unwritable output, an output that is one of
// the inputs.
void check_request(const AverageRequest& req) {
  if (req.inputs.empty()) throw InputError("no snapshots to average");
  if (req.weights.size() != req.inputs.size()) throw std::logic_error("one weight per input");
  require_writable_folder(req.output);
  for (const auto& in : req.inputs) {
    if (same_file(in, req.output)) {
      throw InputError(req.output, "output would overwrite input " + in + "; choose another name");
    }
  }
}

// --layers: nullopt for every floating tensor.
std::optional<std::regex> layers_regex(const std::string& pattern) {
  if (pattern.empty()) return std::nullopt;
  try {
    return std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw InputError("--layers: '" + pattern + "' is not a valid regex: " + e.what());
  }
}

// The L1 shrink of --soft-threshold: every element moves `lambda` towards zero, stopping there.
// Returns how many elements are zero afterwards.
int64_t soft_threshold(double* acc, int64_t n, double lambda) {
  int64_t zeros = 0;
  for (int64_t k = 0; k < n; ++k) {
    const double a = acc[k];
    const double sign = (a > 0) - (a < 0);
    const double r = sign * std::max(std::abs(a) - lambda, 0.0);
    acc[k] = r;
    zeros += r == 0;
  }
  return zeros;
}

// The output's metadata: the base's, marked as an average, with its inputs (path, digest,
// weight, epoch) and settings as provenance; per-run figures (lr, losses) unknown.
SnapshotMeta average_meta(const AverageRequest& req, const AverageSummary& summary,
                          const std::vector<std::unique_ptr<TensorFileReader>>& readers,
                          const TensorFileReader& base) {
  SnapshotMeta meta = base.meta();
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
                     {"layers", req.layers_pattern.empty() ? nlohmann::json()
                                                           : nlohmann::json(req.layers_pattern)},
                     {"base", base.path()},
                     {"soft_threshold", req.soft_threshold},
                     {"tensors_averaged", summary.tensors_averaged},
                     {"tensors_from_base", summary.tensors_from_base}};
  return meta;
}

}  // namespace

AverageSummary average_snapshots(const AverageRequest& req) {
  check_request(req);
  const std::optional<std::regex> layers = layers_regex(req.layers_pattern);

  // Open everything and check compatibility before creating any output.
  std::vector<std::unique_ptr<TensorFileReader>> readers;
  for (const auto& in : req.inputs) readers.push_back(open_tensor_file(in));
  for (size_t i = 1; i < readers.size(); ++i) check_compatible_snapshots(*readers[0], *readers[i]);
  std::unique_ptr<TensorFileReader> own_base;
  const TensorFileReader* base = readers.back().get();
  if (!req.base.empty()) {
    own_base = open_tensor_file(req.base);
    check_compatible_snapshots(*readers[0], *own_base);
    base = own_base.get();
  }

  // Hash the inputs on other threads while averaging; hashing costs more CPU than averaging.
  const bool single = req.threads == 1;
  const int workers = single ? 1 : worker_count(req.threads);
  auto digests = std::async(!single ? std::launch::async : std::launch::deferred, [&req, workers] {
    return input_digests(req.inputs, workers, DigestCache::from_environment());
  });

  const std::vector<size_t> order = summation_order(req.inputs);

  const StoredLayout& layout = readers[0]->layout();
  auto writer = create_tensor_file(req.output, layout, req.write_options);
  AverageSummary summary;
  bool bn_averaged = false;
  // Buffers sized for the largest tensor, reused for every key.
  int64_t largest = 0, largest_bytes = 0;
  for (const auto& info : layout) {
    largest = std::max(largest, info.numel());
    largest_bytes = std::max(largest_bytes, info.nbytes());
  }
  LargeBuffer acc_buffer(static_cast<size_t>(largest) * sizeof(double));
  LargeBuffer out_buffer(static_cast<size_t>(largest_bytes));
  double* acc = acc_buffer.as<double>();
  char* out = out_buffer.as<char>();
  TensorAccumulator accumulator(readers, order, req.weights, workers);
  for (size_t t = 0; t < layout.size(); ++t) {
    const StoredTensor& info = layout[t];
    const bool average =
        is_floating(info.type) && (!layers || std::regex_search(info.key, *layers));
    if (!average) {
      const size_t b = static_cast<size_t>(base->find(info.key));
      base->read_tensor(b, out);
      const int64_t bad = count_non_finite(out, info.type, info.numel());
      if (bad > 0)
        throw InputError(base->path(), info.key, std::to_string(bad) + " NaN/Inf value(s)");
      writer->write(t, out);
      ++summary.tensors_from_base;
      continue;
    }
    const int64_t n = info.numel();
    accumulator.run(t, acc);
    if (!all_finite(acc, n)) explain_non_finite(readers, order, t, req.output);
    if (req.soft_threshold > 0 && is_conv_or_linear_weight(info)) {
      summary.zero_elements += soft_threshold(acc, n, req.soft_threshold);
      summary.thresholded_elements += n;
    }
    store_elements(acc, n, info.type, out);
    writer->write(t, out);
    ++summary.tensors_averaged;
    bn_averaged = bn_averaged || is_batchnorm_statistic(info.key);
  }

  summary.sha256 = digests.get();
  summary.bn_state = bn_averaged ? bn_state::kAveraged : base->meta().bn_state;
  const SnapshotMeta meta = average_meta(req, summary, readers, *base);
  writer->commit(meta);
  summary.output_meta = meta;
  return summary;
}

}  // namespace swa
