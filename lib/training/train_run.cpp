#include "lib/training/train_run.h"

#include "lib/training/fit_monitor.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <type_traits>

#include "formats/atomic_output.h"
#include "formats/input_error.h"
#include "formats/output_guard.h"
#include "formats/snapshot.h"
#include "lib/data/image_batches.h"
#include "lib/distributed/gradient_reducer.h"
#include "lib/distributed/ranks.h"
#include "lib/evaluation/classification_metrics.h"
#include "lib/models/resnet.h"
#include "lib/models/state_dict.h"
#include "lib/runtime/device.h"
#include "lib/runtime/precision.h"
#include "lib/runtime/progress.h"
#include "lib/runtime/signals.h"
#include "lib/training/loss_scaler.h"
#include "lib/training/run_folder.h"
#include "lib/training/run_lock.h"

namespace swa {
namespace fs = std::filesystem;
namespace {

constexpr const char* kMomentumPrefix = "optimizer.momentum_buffer.";

// Seeds for per-epoch randomness, so that a resumed epoch draws what it would have drawn.
uint64_t epoch_seed(int64_t seed, int64_t epoch, int64_t stream) {
  return static_cast<uint64_t>(seed) * 1000003u + static_cast<uint64_t>(epoch) * 7919u +
         static_cast<uint64_t>(stream);
}

struct EpochStats {
  double loss_sum = 0;
  int64_t correct = 0, seen = 0;
  double loss() const { return seen ? loss_sum / static_cast<double>(seen) : NAN; }
  double accuracy() const {
    return seen ? 100.0 * static_cast<double>(correct) / static_cast<double>(seen) : NAN;
  }
};

struct Validation {
  double loss = NAN, accuracy = NAN;
};

// The loss and correct predictions of the steps since the last read, summed where they were
// computed: on a GPU, reading a number back waits for every queued kernel.
struct PendingSums {
  torch::Tensor loss_sum, correct;
  int64_t seen = 0, steps = 0;

  void add(const torch::Tensor& mean_loss, const torch::Tensor& logits, const torch::Tensor& y) {
    const int64_t n = y.size(0);
    auto loss = mean_loss.detach().to(torch::kDouble) * static_cast<double>(n);
    auto hits = logits.detach().argmax(1).eq(y).sum();
    loss_sum = loss_sum.defined() ? loss_sum + loss : loss;
    correct = correct.defined() ? correct + hits : hits;
    seen += n;
    ++steps;
  }
  // Adds the pending sums to `stats`; false when a loss since the last read was not finite.
  // With several ranks, the sums over all ranks, and `stop` becomes the largest signal number any
  // rank received (so all stop at the same step).
  bool flush_into(EpochStats& stats, const Ranks& ranks, int& stop) {
    if (steps == 0 && !ranks.several()) return true;  // ranks read back at the same steps
    double loss = loss_sum.defined() ? loss_sum.item<double>() : 0.0;
    int64_t hits = correct.defined() ? correct.item<int64_t>() : 0, count = seen;
    if (ranks.several()) {
      std::vector<torch::Tensor> sums{torch::tensor(
          {loss, static_cast<double>(hits), static_cast<double>(count)}, torch::kDouble)};
      std::vector<torch::Tensor> signal{torch::tensor({static_cast<int64_t>(stop)}, torch::kLong)};
      ranks.sum(sums, "summing the training loss");
      ranks.maximum(signal, "agreeing to stop");
      loss = sums[0][0].item<double>();
      hits = static_cast<int64_t>(sums[0][1].item<double>());
      count = static_cast<int64_t>(sums[0][2].item<double>());
      stop = static_cast<int>(signal[0].item<int64_t>());
    }
    stats.loss_sum += loss;
    stats.correct += hits;
    stats.seen += count;
    *this = PendingSums{};
    return std::isfinite(loss);
  }
};

// On a GPU the loop reads its loss back every this many steps (on the CPU, every step).
constexpr int64_t kLossCheckSteps = 50;

// With several ranks each takes its batches (Ranks::owns_batch) and all end with every logit.
Validation validate(ResNet& model, const ImageSet& val, const TrainConfig& c, torch::Device device,
                    const Ranks& ranks) {
  if (val.size() == 0) return {};
  torch::NoGradGuard no_grad;
  model->eval();
  std::vector<std::pair<int64_t, torch::Tensor>> outs;
  for (int64_t b = 0, k = 0; b < val.size(); b += c.eval_batch_size, ++k) {
    if (!ranks.owns_batch(k)) continue;
    auto x = normalize_cifar(
        val.images.slice(0, b, std::min(val.size(), b + c.eval_batch_size)).to(device));
    outs.emplace_back(b, model->forward(x));
  }
  model->train();
  const auto m = classification_metrics(
      ranks.assemble_rows(outs, val.size(), kCifarClasses, "validation"), val.labels);
  return {m.nll, m.top1};
}

// The optimizer's state map is keyed by the parameter's TensorImpl: as its address in text in
// LibTorch 1.13, as the pointer itself in 2.x.
template <typename StateMap>
typename StateMap::key_type state_key(const StateMap&, const torch::Tensor& p) {
  using Key = typename StateMap::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream s;
    s << static_cast<const void*>(p.unsafeGetTensorImpl());
    return s.str();
  } else {
    return static_cast<Key>(p.unsafeGetTensorImpl());
  }
}

void set_learning_rate(torch::optim::SGD& opt, double lr) {
  for (auto& group : opt.param_groups())
    static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
}

// The model's state, plus the SGD momentum buffers when `with_optimizer`.
StateDict training_state(ResNet& model, torch::optim::SGD& opt, bool with_optimizer) {
  StateDict state;
  for (const auto& [k, t] : state_dict(*model))
    state.emplace_back(k, t.detach().to(torch::kCPU).contiguous());
  if (!with_optimizer) return state;
  for (auto& p : model->named_parameters()) {
    auto it = opt.state().find(state_key(opt.state(), p.value()));
    if (it == opt.state().end()) continue;
    auto& buf = static_cast<torch::optim::SGDParamState&>(*it->second).momentum_buffer();
    if (buf.defined())
      state.emplace_back(kMomentumPrefix + p.key(), buf.detach().to(torch::kCPU).contiguous());
  }
  return state;
}

void restore_training_state(ResNet& model, torch::optim::SGD& opt, const StateDict& saved,
                            const std::string& path, torch::Device device) {
  StateDict weights;
  std::map<std::string, torch::Tensor> momentum;
  for (const auto& [k, t] : saved) {
    if (k.rfind(kMomentumPrefix, 0) == 0)
      momentum[k.substr(std::strlen(kMomentumPrefix))] = t;
    else
      weights.emplace_back(k, t);
  }
  load_state_dict(*model, weights, path);
  model->to(device);
  for (auto& p : model->named_parameters()) {
    auto it = momentum.find(p.key());
    if (it == momentum.end()) continue;
    auto state = std::make_unique<torch::optim::SGDParamState>();
    state->momentum_buffer(torch::empty_like(p.value()).copy_(it->second));
    opt.state()[state_key(opt.state(), p.value())] = std::move(state);
  }
}

// A run killed while writing leaves a hidden ".NAME.tmp-XXXXXX" (never a half file under the
// real name): remove those before continuing.
void remove_stale_temporaries(const std::string& run_dir) {
  for (const auto& folder : {fs::path(run_dir), fs::path(run_dir) / "snapshots"}) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(folder, ec)) {
      const std::string name = e.path().filename().string();
      if (name.size() > 1 && name[0] == '.' && name.find(".tmp-") != std::string::npos)
        fs::remove(e.path(), ec);
    }
  }
}

// Keeps the first `epochs` lines of the training log.
void keep_log_lines(const std::string& path, int64_t epochs) {
  std::ifstream in(path);
  std::string kept, line;
  for (int64_t i = 0; i < epochs && std::getline(in, line); ++i) kept += line + "\n";
  in.close();
  write_file_atomically(path, kept);
}

// The rule of train_run.h: far above chance level is diverging, not learning slowly.
void stop_if_diverging(const EpochStats& stats, const Validation& v, int64_t epoch) {
  const double chance = std::log(static_cast<double>(kCifarClasses));
  char why[200] = "";
  if (stats.loss() > kDivergedTrainLossFactor * chance) {
    std::snprintf(why, sizeof why, "mean training loss %.3g is above %.0fx chance level (%.2f)",
                  stats.loss(), kDivergedTrainLossFactor, kDivergedTrainLossFactor * chance);
  } else if (!std::isnan(v.loss) && !std::isfinite(v.loss)) {
    std::snprintf(why, sizeof why, "validation loss is not finite");
  } else if (v.loss > kDivergedValLossFactor * chance && stats.loss() > chance) {
    std::snprintf(
        why, sizeof why,
        "validation loss %.3g is above %.0fx chance level (%.2f) and the training loss %.3g is "
        "not below chance level",
        v.loss, kDivergedValLossFactor, kDivergedValLossFactor * chance, stats.loss());
  }
  if (*why) {
    throw InputError("training is diverging in epoch " + std::to_string(epoch + 1) + ": " + why +
                     "; no snapshot of it is written. Lower --lr, or add --warmup-epochs");
  }
}

// Stopping between two steps loses nothing that --resume cannot redo: last.h5 holds the end of the
// previous epoch, and the interrupted epoch is replayed with the same batches.
Interrupted interrupted(int signal, const std::string& run_dir, int64_t epoch) {
  const std::string resume = "swa-train --resume " + run_dir;
  if (epoch == 0) {
    return Interrupted(signal, "stopped by " + signal_name(signal) +
                                   " in epoch 1, before any epoch finished; `" + resume +
                                   "` starts it again with the saved configuration");
  }
  return Interrupted(signal, "stopped by " + signal_name(signal) + " in epoch " +
                                 std::to_string(epoch + 1) + "; last.h5 holds the end of epoch " +
                                 std::to_string(epoch) + ": `" + resume + "` continues from there");
}

void append_line(const std::string& path, const nlohmann::json& j) {
  std::ofstream f(path, std::ios::app);
  f << j.dump() << "\n";
  if (!f) throw InputError(path, "cannot append to the training log");
}

// Where a run stands when train() starts: at the beginning, or where --resume picks it up.
struct RunState {
  bool resumed = false;  // false also for a run killed before its first epoch ended
  int64_t start_epoch = 0, step = 0, cycle = 0;
  double best_val = -1;
  double loss_scale = LossScaler::kInitialScale;  // --amp fp16's, where the run stands
  FitMonitor monitor;
  StateDict saved;  // weights, buffers and optimizer state from last.h5
};

// --resume: the run's saved configuration replaces `c` (resumed_config), and last.h5 says where
// it stands. A run killed before its first epoch ended has only config.json: it starts over.
RunState resume_run(TrainConfig& c, const std::string& last_path, const std::string& config_path) {
  RunState run;
  if (!fs::exists(last_path)) {
    std::ifstream f(config_path);
    if (!f)
      throw InputError(c.run_dir, "is not a swa-train run folder (no last.h5, no config.json)");
    nlohmann::json saved_config;
    try {
      saved_config = nlohmann::json::parse(f);
    } catch (const nlohmann::json::exception& e) {
      throw InputError(config_path, std::string("is not valid JSON: ") + e.what());
    }
    c = resumed_config(saved_config, config_path, c);
    return run;
  }
  auto reader = open_snapshot(last_path);
  const auto& r = reader->meta().config;
  c = resumed_config(r.at("run"), last_path, c);
  const auto& p = r.at("progress");
  run.resumed = true;
  run.start_epoch = p.at("epochs_done");
  run.step = p.at("step");
  run.cycle = p.at("cycles_done");
  run.best_val = p.at("best_val_acc");
  run.loss_scale = p.value("loss_scale", run.loss_scale);
  run.monitor.restore(p.at("fit"));
  run.saved = read_state_dict(*reader);
  return run;
}

// One line of log.jsonl: the epoch's training and validation figures (unknown ones null).
nlohmann::json epoch_log_line(int64_t epoch, int64_t step, double lr, const EpochStats& stats,
                              const Validation& v, const FitFlags& fit, double seconds) {
  return {{"epoch", epoch + 1},
          {"step", step},
          {"lr", lr},
          {"train_loss", stats.loss()},
          {"train_acc", stats.accuracy()},
          {"val_loss", std::isnan(v.loss) ? nlohmann::json() : nlohmann::json(v.loss)},
          {"val_acc", std::isnan(v.accuracy) ? nlohmann::json() : nlohmann::json(v.accuracy)},
          {"flags", fit.to_json()},
          {"seconds", seconds}};
}

void print_epoch_line(int64_t epoch, int64_t epochs, double lr, const EpochStats& stats,
                      const Validation& v, const FitFlags& fit) {
  std::fprintf(
      stderr,
      "epoch %lld/%lld  lr %.5f  train loss %.4f acc %.2f%%  val loss %.4f acc %.2f%%%s%s\n",
      static_cast<long long>(epoch + 1), static_cast<long long>(epochs), lr, stats.loss(),
      stats.accuracy(), v.loss, v.accuracy, fit.overfitting ? "  [over-fitting]" : "",
      fit.underfitting ? "  [under-fitting]" : "");
}

// The images one epoch trains on: the training split, or a seeded subset of --train-samples.
ImageSet training_images(const TrainConfig& c) {
  ImageSet train_set = load_cifar10(c.data, Split::kTrain);
  if (c.train_samples > 0) {
    train_set = train_set.subset(std::get<0>(
        seeded_subset(train_set.size(), c.train_samples, epoch_seed(c.seed, 0, 2)).sort()));
  }
  return train_set;
}

// A fresh run saves its configuration and starts its log; a resumed one keeps the log lines of
// the epochs last.h5 holds and removes what a killed write left.
void prepare_run_folder(const TrainConfig& c, bool resume, int64_t epochs_done,
                        const std::string& config_path, const std::string& log_path) {
  fs::create_directories(fs::path(c.run_dir) / "snapshots");
  if (!resume) {
    write_file_atomically(config_path, c.to_json().dump(2) + "\n");
    std::remove(log_path.c_str());
  } else {
    keep_log_lines(log_path, epochs_done);  // drop lines of an epoch the crash interrupted
    remove_stale_temporaries(c.run_dir);
  }
}

// Where training stands when a snapshot is taken.
struct TrainingPosition {
  int64_t epoch = 0, cycle = 0, step = 0;
  double lr = 0;
};

// A training snapshot's metadata: the position, the epoch's figures and the run's configuration.
SnapshotMeta snapshot_meta(const std::string& arch, int64_t seed, const nlohmann::json& run_config,
                           const TrainingPosition& at, const EpochStats& stats, const Validation& v,
                           const nlohmann::json& flags) {
  SnapshotMeta m;
  m.arch = arch;
  m.num_classes = kCifarClasses;
  m.epoch = at.epoch;
  m.cycle = at.cycle;
  m.step = at.step;
  m.lr = at.lr;
  m.train_loss = stats.loss();
  m.train_acc = stats.accuracy();
  m.val_loss = v.loss;
  m.val_acc = v.accuracy;
  m.seed = seed;
  m.created_utc = utc_now_iso8601();
  m.producer = producer_string("swa-train");
  m.config = run_config;
  m.provenance = {{"operation", "train"}, {"flags", flags}};
  return m;
}

// last.h5's metadata: the epoch's, with the run's configuration and where it stands, which
// resume_run reads back.
SnapshotMeta resume_point_meta(SnapshotMeta meta, const nlohmann::json& run_config,
                               const TrainingPosition& at, double best_val,
                               const FitMonitor& monitor, double loss_scale) {
  meta.config = {{"run", run_config},
                 {"progress",
                  {{"epochs_done", at.epoch},
                   {"step", at.step},
                   {"cycles_done", at.cycle},
                   {"best_val_acc", best_val},
                   {"loss_scale", loss_scale},
                   {"fit", monitor.state()}}}};
  return meta;
}

}  // namespace

int64_t images_per_epoch(const TrainConfig& c) {
  const int64_t n = c.data.dir.empty() ? kCifarTrainImages - c.data.validation_size
                                       : load_cifar10(c.data, Split::kTrain).size();
  return c.train_samples > 0 ? std::min(c.train_samples, n) : n;
}

TrainSummary train(TrainConfig c, bool resume) {
  const Ranks& ranks = Ranks::process();
  const bool writes = ranks.leads();  // rank 0 writes the run folder; the others only read it
  const std::string last_path = (fs::path(c.run_dir) / "last.h5").string();
  const std::string config_path = (fs::path(c.run_dir) / "config.json").string();
  // --init is read from what --overwrite would remove: refused before anything is touched.
  if (!resume && writes)
    OutputGuard({c.init}).check_folder("--out", c.run_dir, run_folder_outputs());
  std::optional<NewFolder> new_folder;  // removed again if the run is refused before it writes
  if (!resume && writes) new_folder.emplace(c.run_dir);
  std::optional<RunLock> lock;  // held until train() returns or throws
  if (writes && fs::is_directory(c.run_dir)) lock.emplace(c.run_dir);
  if (!resume && writes) claim_run_folder(c.run_dir, c.overwrite);
  RunState run;
  if (resume) run = resume_run(c, last_path, config_path);
  resume = run.resumed;
  int64_t step = run.step, cycle = run.cycle;
  double best_val = run.best_val;
  FitMonitor& monitor = run.monitor;
  FitFlags last_flags;
  const torch::Device device = resolve_device(c.device);
  if (c.batch_size <= 0) throw InputError("--batch-size must be positive");
  if (c.label_smoothing < 0 || c.label_smoothing >= 1)
    throw InputError("--label-smoothing must be in [0, 1)");
  parse_architecture(c.arch);
  const torch::ScalarType amp = parse_precision(c.amp, "--amp");
  check_precision_runs_on(amp, device, "--amp");
  const bool cuda = device.is_cuda();
  // cuDNN times its candidate kernels once per shape and keeps the fastest.
  if (cuda && !at::globalContext().deterministicCuDNN())
    at::globalContext().setBenchmarkCuDNN(true);

  const ImageSet train_set = training_images(c);
  const ImageSet val =
      c.data.validation_size > 0 ? load_cifar10(c.data, Split::kValidation) : ImageSet{};
  const int64_t n = train_set.size();
  if (ranks.several()) {  // every rank needs images in every global batch
    const int64_t last = n % c.batch_size;
    if (c.batch_size < ranks.size() || (last != 0 && last < ranks.size())) {
      throw InputError("--batch-size " + std::to_string(c.batch_size) + " over " +
                       std::to_string(n) + " images leaves a batch of fewer images than the " +
                       std::to_string(ranks.size()) +
                       " ranks; choose a batch size (or --train-samples) for which every batch "
                       "has at least one image per rank");
    }
  }
  c.schedule.iterations_per_epoch = iterations_per_epoch(n, c.batch_size);
  const LrSchedule schedule(c.schedule);  // refuses bad flags before any training
  const std::string log_path = (fs::path(c.run_dir) / "log.jsonl").string();
  if (writes) prepare_run_folder(c, resume, run.start_epoch, config_path, log_path);
  if (new_folder) new_folder->keep();

  torch::manual_seed(c.seed);
  ResNet model = make_resnet(c.arch, kCifarClasses);
  if (!resume && !c.init.empty()) {
    auto reader = open_snapshot(c.init);
    load_state_dict(*model, read_state_dict(*reader), c.init);
  }
  model->to(device);
  if (cuda) use_channels_last(*model);  // before the optimizer sees the parameters
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(c.schedule.lr)
                                                 .momentum(c.momentum)
                                                 .nesterov(c.nesterov)
                                                 .weight_decay(c.weight_decay));
  if (resume) restore_training_state(model, opt, run.saved, last_path, device);
  GradientReducer reducer(model->parameters(), ranks);  // sums nothing in a single process
  if (ranks.several()) {
    std::vector<torch::Tensor> state = model->parameters();
    for (const auto& buffer : model->buffers()) state.push_back(buffer);
    ranks.broadcast(state, "broadcasting rank 0's weights");
    if (c.sync_bn) model->synchronize_batchnorm(&ranks);
  }
  // Without --sync-bn each rank's running statistics follow its own images: rank 0's are the
  // run's (as DDP's broadcast_buffers), given to all before validation and snapshots.
  auto share_statistics = [&] {
    if (!ranks.several() || c.sync_bn) return;
    std::vector<torch::Tensor> buffers = model->buffers();
    ranks.broadcast(buffers, "sharing rank 0's BatchNorm statistics");
  };
  model->train();
  const auto images = train_set.images.to(device);
  const auto labels = train_set.labels.to(device);
  const nlohmann::json run_config = c.to_json();
  std::string stop_reason = "completed";
  int64_t snapshots = 0;
  const auto t0 = std::chrono::steady_clock::now();

  // `steps_done`: the optimizer steps taken so far, this epoch's last one included.
  auto make_meta = [&](int64_t epoch, int64_t steps_done, double lr, const EpochStats& stats,
                       const Validation& v, const nlohmann::json& flags) {
    return snapshot_meta(model->spec().name(), c.seed, run_config, {epoch, cycle, steps_done, lr},
                         stats, v, flags);
  };

  std::optional<LossScaler> scaler;
  if (amp == torch::kHalf) scaler.emplace(run.loss_scale);
  const auto params = model->parameters();
  const int64_t check_every = cuda ? kLossCheckSteps : 1;
  const auto memory_format =
      cuda ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;

  for (int64_t epoch = run.start_epoch; epoch < c.schedule.epochs; ++epoch) {
    auto gen = at::detail::createCPUGenerator(epoch_seed(c.seed, epoch, 1));
    const auto order =
        torch::randperm(n, gen, torch::TensorOptions().dtype(torch::kLong)).to(device);
    // The epoch's augmentation, drawn after its order batch by batch, in one copy to the device.
    const CropFlipDraws draws =
        c.augment ? draw_crop_flip_batches(n, c.batch_size, gen, device) : CropFlipDraws{};
    EpochStats stats;
    PendingSums pending;
    auto read_back = [&] {
      int stop = ranks.several() ? stop_requested() : 0;  // with several ranks: all at once
      if (!pending.flush_into(stats, ranks, stop)) {
        throw InputError("training diverged at epoch " + std::to_string(epoch + 1) + ", step " +
                         std::to_string(step) + " (loss is not finite): lower --lr");
      }
      if (stop) throw interrupted(stop, c.run_dir, epoch);
    };
    Progress progress(
        "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(c.schedule.epochs), n,
        c.progress);
    double lr = 0;
    for (int64_t b = 0; b < n; b += c.batch_size) {
      if (!ranks.several()) {
        if (const int signal = stop_requested()) throw interrupted(signal, c.run_dir, epoch);
      }
      // This rank's contiguous part [lo, hi) of the global batch [b, b + global).
      const int64_t global = std::min(n, b + c.batch_size) - b;
      const int64_t lo = b + global * ranks.rank() / ranks.size();
      const int64_t hi = b + global * (ranks.rank() + 1) / ranks.size();
      const auto idx = order.slice(0, lo, hi);
      const auto batch = images.index_select(0, idx);
      auto x = normalize_cifar(c.augment ? augment_crop_flip(batch, draws.slice(lo, hi)) : batch);
      if (cuda) x = x.contiguous(memory_format);
      const auto y = labels.index_select(0, idx);
      lr = schedule.at(step);
      set_learning_rate(opt, lr);
      opt.zero_grad();
      torch::Tensor logits, loss;
      {
        AutocastScope autocast(device, amp);
        logits = model->forward(x);
        loss = torch::nn::functional::cross_entropy(
            logits, y,
            torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(c.label_smoothing));
      }
      // The part's mean loss weighted by its share: summed over ranks, the global batch's mean.
      const torch::Tensor objective =
          ranks.several() ? loss * (static_cast<double>(hi - lo) / static_cast<double>(global))
                          : loss;
      reducer.prepare();
      if (scaler) {
        (objective * scaler->scale()).backward();
        reducer.finish();
        if (scaler->unscale(params)) opt.step();
      } else {
        objective.backward();
        reducer.finish();
        opt.step();
      }
      pending.add(loss, logits, y);
      progress.advance(global);
      if (pending.steps >= check_every) read_back();
      if (schedule.is_cycle_end(step)) {
        read_back();
        ++cycle;
        share_statistics();
        const auto v = validate(model, val, c, device, ranks);
        stop_if_diverging(stats, v, epoch);
        char name[32];
        std::snprintf(name, sizeof(name), "cycle-%04lld.h5", static_cast<long long>(cycle));
        ++step;
        if (writes) {
          save_snapshot((fs::path(c.run_dir) / "snapshots" / name).string(),
                        make_meta(epoch + 1, step, lr, stats, v, last_flags.to_json()),
                        training_state(model, opt, false));
        }
        ++snapshots;
        continue;
      }
      ++step;
    }
    read_back();
    progress.finish();

    share_statistics();
    const auto v = validate(model, val, c, device, ranks);
    stop_if_diverging(stats, v, epoch);
    const FitFlags fit = monitor.update(stats.loss(), stats.accuracy(), v.loss);
    last_flags = fit;
    const nlohmann::json flags = fit.to_json();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    nlohmann::json line = epoch_log_line(epoch, step, lr, stats, v, fit, secs);
    if (ranks.several()) {
      line["ranks"] = ranks.size();
      line["gradient_sum_wait_seconds"] = reducer.take_wait_seconds();  // not hidden by backward
    }
    if (c.epoch_lines) print_epoch_line(epoch, c.schedule.epochs, lr, stats, v, fit);
    const auto meta = make_meta(epoch + 1, step, lr, stats, v, flags);
    if (std::isfinite(v.accuracy) && v.accuracy > best_val) {
      best_val = v.accuracy;
      if (writes) {
        save_snapshot((fs::path(c.run_dir) / "best.h5").string(), meta,
                      training_state(model, opt, false));
      }
    }
    if (writes) {
      save_snapshot(last_path,
                    resume_point_meta(meta, run_config, {epoch + 1, cycle, step, lr}, best_val,
                                      monitor, scaler ? scaler->scale() : run.loss_scale),
                    training_state(model, opt, true));
      append_line(log_path, line);  // after last.h5: a resumed run rewrites from there
    }
    if (monitor.should_stop(c.early_stop_patience)) {
      stop_reason = "early stop: validation loss rose for " +
                    std::to_string(monitor.rising_epochs()) + " epochs";
      break;
    }
  }
  TrainSummary summary;
  summary.run_dir = c.run_dir;
  summary.snapshots_written = snapshots;
  summary.cycles = cycle;
  if (best_val >= 0) summary.best_val_acc = best_val;
  summary.stop = stop_reason;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return summary;
}

}  // namespace swa
