// Keys outer, inputs inner: for each tensor, every input's bytes stream through a small block
// buffer into a float64 accumulator. Blocks are split between threads (each owns its slice of
// the accumulator, so the sum per element keeps the fixed input order), and each block is
// checksummed on the way (fletcher32 pieces add up in any order). Reading is pread from the
// page cache: nothing is mapped, nothing per input is held between tensors. Tensors are found in
// each input by name (TensorPlaces), never by position.
#include "lib/averaging/average_snapshots.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <future>
#include <limits>
#include <thread>

#include "formats/atomic_output.h"
#include "formats/input_error.h"
#include "formats/output_guard.h"
#include "formats/readable_file.h"
#include "lib/averaging/element_conversion.h"
#include "lib/averaging/input_digests.h"
#include "lib/averaging/snapshot_compatibility.h"
#include "lib/averaging/summation_order.h"
#include "lib/models/batchnorm_keys.h"
#include "lib/runtime/large_buffer.h"
#include "lib/runtime/progress.h"
#include "lib/runtime/run_workers.h"

namespace swa {
namespace {

constexpr int64_t kBlockBytes = 128 << 10;  // an input block and its float64 slice stay in L2

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
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

// Where each output tensor lives in each input: places[i][t] is the index in input i's layout of
// the output layout's tensor t (inputs store their tensors in any order).
using TensorPlaces = std::vector<std::vector<size_t>>;

TensorPlaces tensor_places(const std::vector<std::unique_ptr<TensorFileReader>>& readers,
                           const StoredLayout& layout) {
  TensorPlaces places(readers.size());
  for (size_t i = 0; i < readers.size(); ++i) {
    for (const auto& info : layout) {
      const int64_t at = readers[i]->find(info.key);
      if (at < 0) throw InputError(readers[i]->path(), info.key, "missing");
      places[i].push_back(static_cast<size_t>(at));
    }
  }
  return places;
}

// Sums tensor t of every input (in `order`, weighted) into acc[0, numel).
class TensorAccumulator {
 public:
  TensorAccumulator(const std::vector<std::unique_ptr<TensorFileReader>>& readers,
                    const TensorPlaces& places, const std::vector<size_t>& order,
                    const std::vector<double>& weights, int workers)
      : readers_(readers),
        places_(places),
        order_(order),
        weights_(weights),
        workers_(workers),
        buffers_(static_cast<size_t>(workers),
                 std::vector<char>(static_cast<size_t>(kBlockBytes))) {}

  void run(const StoredTensor& info, size_t t, double* acc) {
    const bool ranged = std::all_of(readers_.begin(), readers_.end(),
                                    [](const auto& r) { return r->reads_any_range(); });
    if (!ranged) {  // some input must be decoded whole (compressed HDF5): one tensor at a time
      std::fill(acc, acc + info.numel(), 0.0);
      std::vector<char> buffer(static_cast<size_t>(info.nbytes()));
      for (size_t i : order_) {
        readers_[i]->read_tensor(places_[i][t], buffer.data());
        add_weighted_elements(acc, buffer.data(), info.type, info.numel(), weights_[i]);
      }
      return;
    }
    std::vector<std::vector<int64_t>> ends;
    for (size_t i = 0; i < readers_.size(); ++i)
      ends.push_back(readers_[i]->segment_ends(places_[i][t]));
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
          readers_[i]->read_range(places_[i][t], block.begin, block.end - block.begin,
                                  buffer.data(), sum);
          add_weighted_elements(slice, buffer.data(), info.type, n, weights_[i]);
        }
      }
    };
    run_workers(workers, work);
    for (size_t i = 0; i < readers_.size(); ++i) {
      for (size_t s = 0; s < ends[i].size(); ++s) {
        SegmentChecksum whole;
        for (const auto& per_worker : sums) whole.merge(per_worker[i][s]);
        readers_[i]->verify_segment(places_[i][t], s, whole);
      }
    }
  }

 private:
  const std::vector<std::unique_ptr<TensorFileReader>>& readers_;
  const TensorPlaces& places_;
  const std::vector<size_t>& order_;
  const std::vector<double>& weights_;
  int workers_;
  std::vector<std::vector<char>> buffers_;  // one block per worker
};

// Names the input that holds NaN/Inf in tensor t, or the weights when none does.
[[noreturn]] void explain_non_finite(const std::vector<std::unique_ptr<TensorFileReader>>& readers,
                                     const TensorPlaces& places, const std::vector<size_t>& order,
                                     const StoredTensor& info, size_t t,
                                     const std::string& output) {
  std::vector<char> buffer(static_cast<size_t>(info.nbytes()));
  for (size_t i : order) {
    readers[i]->read_tensor(places[i][t], buffer.data());
    const int64_t bad = count_non_finite(buffer.data(), info.type, info.numel());
    if (bad > 0)
      throw InputError(readers[i]->path(), info.key, std::to_string(bad) + " NaN/Inf value(s)");
  }
  throw InputError(output, info.key, "the average is not finite (weights too extreme?)");
}

// Refuses a request before any work: no inputs, an output that is unwritable or one of the files
// read, the same file named twice (by any spelling).
void check_request(const AverageRequest& req) {
  if (req.inputs.empty()) throw InputError("no snapshots to average");
  if (req.weights.size() != req.inputs.size()) throw std::logic_error("one weight per input");
  // Every input stays open for the whole average, one descriptor each (HDF5's own handle is
  // closed once the chunk map is read), plus a few for the output, the digests and the library:
  // say so before the first open fails.
  const int64_t needed = static_cast<int64_t>(req.inputs.size()) + 32;
  if (needed > open_file_limit()) {
    throw InputError(std::to_string(req.inputs.size()) + " inputs need about " +
                     std::to_string(needed) + " open files; " + open_error_text(EMFILE));
  }
  OutputGuard guard(req.inputs);
  if (!req.base.empty()) guard.add_input(req.base);
  guard.check_file("-o", req.output);
  require_distinct_files(req.inputs,
                         "give each snapshot once (to count one more, weight it with --weights)");
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
                          const TensorFileReader& base, const SummationWeights& weights) {
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
                      {"weight", weights.relative[i] / weights.total},
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

// The inputs opened and checked against each other, and the file the other tensors come from.
struct OpenedInputs {
  std::vector<std::unique_ptr<TensorFileReader>> readers;  // parallel to the request's inputs
  std::unique_ptr<TensorFileReader> own_base;              // --base, when given
  const TensorFileReader* base = nullptr;
  // The output's tensors: --base's order when given, else the first input's.
  const StoredLayout& layout() const {
    return own_base ? own_base->layout() : readers[0]->layout();
  }
};

std::vector<size_t> input_summation_order(const OpenedInputs& in) {
  std::vector<SummationKey> keys;
  for (const auto& r : in.readers) keys.push_back(summation_key(r->path(), r->meta()));
  return summation_order(keys);
}

// Without --base, the other tensors come from the latest input: the last in summation order
// (epoch, step, real path), so that reordering the command line changes nothing.
OpenedInputs open_inputs(const AverageRequest& req) {
  OpenedInputs in;
  const ReadOptions read{TensorFileKind::kSnapshot, req.state_dict_key};
  for (const auto& path : req.inputs) in.readers.push_back(open_tensor_file(path, read));
  for (size_t i = 1; i < in.readers.size(); ++i)
    check_compatible_snapshots(*in.readers[0], *in.readers[i]);
  in.base = in.readers[input_summation_order(in).back()].get();
  if (!req.base.empty()) {
    in.own_base = open_tensor_file(req.base, read);
    check_compatible_snapshots(*in.readers[0], *in.own_base);
    in.base = in.own_base.get();
  }
  return in;
}

// Which tensors are averaged: floating ones that --layers selects. A --layers that selects none
// is refused: an "average" that copies the base is not what was asked for.
std::vector<bool> averaged_tensors(const AverageRequest& req, const StoredLayout& layout) {
  const std::optional<std::regex> layers = layers_regex(req.layers_pattern);
  std::vector<bool> averaged;
  for (const auto& info : layout)
    averaged.push_back(is_floating(info.type) && (!layers || std::regex_search(info.key, *layers)));
  if (layers && std::none_of(averaged.begin(), averaged.end(), [](bool a) { return a; })) {
    throw InputError("--layers '" + req.layers_pattern + "'",
                     "matches no floating tensor of " + req.inputs.front() +
                         " (its keys are like '" + layout.front().key + "')");
  }
  return averaged;
}

// Every input (and the base) is still the file that was opened: else the average may mix bytes
// of two versions, and the recorded digests would describe neither.
void require_inputs_unchanged(const OpenedInputs& in) {
  for (const auto& r : in.readers) r->check_unchanged();
  if (in.own_base) in.own_base->check_unchanged();
}

int64_t total_bytes(const StoredLayout& layout) {
  int64_t bytes = 0;
  for (const auto& info : layout) bytes += info.nbytes();
  return bytes;
}

}  // namespace

AverageSummary average_snapshots(const AverageRequest& req) {
  check_request(req);
  const OpenedInputs in = open_inputs(req);  // everything checked before any output exists
  const StoredLayout& layout = in.layout();
  const std::vector<bool> averaged = averaged_tensors(req, layout);
  const TensorPlaces places = tensor_places(in.readers, layout);
  const std::vector<size_t> order = input_summation_order(in);
  const SummationWeights weights = summation_weights(req.weights, order);

  // Hash the inputs on other threads while averaging; hashing costs more CPU than averaging.
  const bool single = req.threads == 1;
  const int workers = single ? 1 : worker_count(req.threads);
  std::vector<FileIdentity> opened;
  for (const auto& r : in.readers) opened.push_back(r->identity());
  auto digests =
      std::async(!single ? std::launch::async : std::launch::deferred, [&req, &opened, workers] {
        return input_digests(req.inputs, opened, workers, DigestCache::from_environment());
      });

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
  TensorAccumulator accumulator(in.readers, places, order, weights.relative, workers);
  Progress progress("swa-average: averaging bytes", total_bytes(layout), req.progress);
  for (size_t t = 0; t < layout.size(); ++t) {
    const StoredTensor& info = layout[t];
    if (!averaged[t]) {
      const size_t b = static_cast<size_t>(in.base->find(info.key));
      in.base->read_tensor(b, out);
      const int64_t bad = count_non_finite(out, info.type, info.numel());
      if (bad > 0)
        throw InputError(in.base->path(), info.key, std::to_string(bad) + " NaN/Inf value(s)");
      writer->write(t, out);
      ++summary.tensors_from_base;
      progress.advance(info.nbytes());
      continue;
    }
    const int64_t n = info.numel();
    accumulator.run(info, t, acc);
    divide_elements(acc, n, weights.total);
    if (!all_finite(acc, n)) explain_non_finite(in.readers, places, order, info, t, req.output);
    if (req.soft_threshold > 0 && is_conv_or_linear_weight(info)) {
      summary.zero_elements += soft_threshold(acc, n, req.soft_threshold);
      summary.thresholded_elements += n;
    }
    store_elements(acc, n, info.type, out);
    writer->write(t, out);
    ++summary.tensors_averaged;
    bn_averaged = bn_averaged || is_batchnorm_statistic(info.key);
    progress.advance(info.nbytes());
  }
  progress.finish();

  summary.sha256 = digests.get();
  require_inputs_unchanged(in);
  summary.bn_state = bn_averaged ? bn_state::kAveraged : in.base->meta().bn_state;
  const SnapshotMeta meta = average_meta(req, summary, in.readers, *in.base, weights);
  writer->commit(meta);
  summary.output_meta = meta;
  return summary;
}

}  // namespace swa
