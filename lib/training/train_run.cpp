#include "lib/training/train_run.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "formats/input_error.h"
#include "formats/output_guard.h"
#include "formats/snapshot.h"
#include "lib/data/image_batches.h"
#include "lib/distributed/gradient_reducer.h"
#include "lib/distributed/ranks.h"
#include "lib/models/resnet.h"
#include "lib/runtime/device.h"
#include "lib/runtime/precision.h"
#include "lib/runtime/progress.h"
#include "lib/runtime/signals.h"
#include "lib/training/epoch_stats.h"
#include "lib/training/fit_monitor.h"
#include "lib/training/loss_scaler.h"
#include "lib/training/run_folder.h"
#include "lib/training/run_lock.h"
#include "lib/training/training_state.h"

namespace swa {
namespace fs = std::filesystem;
namespace {

// Seeds for per-epoch randomness, so that a resumed epoch draws what it would have drawn.
uint64_t epoch_seed(int64_t seed, int64_t epoch, int64_t stream) {
  return static_cast<uint64_t>(seed) * 1000003u + static_cast<uint64_t>(epoch) * 7919u +
         static_cast<uint64_t>(stream);
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

// The images one epoch trains on: the training split, or a seeded subset of --train-samples.
ImageSet training_images(const TrainConfig& c) {
  ImageSet train_set = load_cifar10(c.data, Split::kTrain);
  if (c.train_samples > 0) {
    train_set = train_set.subset(std::get<0>(
        seeded_subset(train_set.size(), c.train_samples, epoch_seed(c.seed, 0, 2)).sort()));
  }
  return train_set;
}

// The settings refused before any work, and the device they resolve to.
torch::Device checked_device(const TrainConfig& c, torch::ScalarType& amp) {
  const torch::Device device = resolve_device(c.device);
  if (c.batch_size <= 0) throw InputError("--batch-size must be positive");
  if (c.label_smoothing < 0 || c.label_smoothing >= 1)
    throw InputError("--label-smoothing must be in [0, 1)");
  parse_architecture(c.arch);
  amp = parse_precision(c.amp, "--amp");
  check_precision_runs_on(amp, device, "--amp");
  return device;
}

// With several ranks every rank needs images in every global batch.
void check_batches_cover_ranks(int64_t n, const TrainConfig& c, const Ranks& ranks) {
  if (!ranks.several()) return;
  const int64_t last = n % c.batch_size;
  if (c.batch_size < ranks.size() || (last != 0 && last < ranks.size())) {
    throw InputError("--batch-size " + std::to_string(c.batch_size) + " over " + std::to_string(n) +
                     " images leaves a batch of fewer images than the " +
                     std::to_string(ranks.size()) +
                     " ranks; choose a batch size (or --train-samples) for which every batch "
                     "has at least one image per rank");
  }
}

// The run's model: seeded, --init's weights on a fresh run, on `device` (channels_last on CUDA,
// before the optimizer sees the parameters).
ResNet prepared_model(const TrainConfig& c, bool resume, torch::Device device) {
  torch::manual_seed(c.seed);
  ResNet model = make_resnet(c.arch, kCifarClasses);
  if (!resume && !c.init.empty()) {
    auto reader = open_snapshot(c.init);
    load_state_dict(*model, read_state_dict(*reader), c.init);
  }
  model->to(device);
  if (device.is_cuda()) use_channels_last(*model);
  return model;
}

// One run's training from where `run` stands: the model and its optimizer, the images on the
// device, the step loop, and what each cycle end and epoch end write (rank 0 alone writes).
class Trainer {
 public:
  Trainer(const TrainConfig& c, const LrSchedule& schedule, RunState& run, const RunFiles& files,
          bool resume, torch::Device device, torch::ScalarType amp, const ImageSet& train_set,
          const ImageSet& val)
      : c_(c),
        schedule_(schedule),
        run_(run),
        files_(files),
        ranks_(Ranks::process()),
        writes_(ranks_.leads()),
        device_(device),
        cuda_(device.is_cuda()),
        amp_(amp),
        val_(val),
        n_(train_set.size()),
        model_(prepared_model(c, resume, device)),
        opt_(model_->parameters(), torch::optim::SGDOptions(c.schedule.lr)
                                       .momentum(c.momentum)
                                       .nesterov(c.nesterov)
                                       .weight_decay(c.weight_decay)),
        reducer_(model_->parameters(), ranks_),  // sums nothing in a single process
        params_(model_->parameters()),
        run_config_(c.to_json()),
        check_every_(cuda_ ? kLossCheckSteps : 1) {
    if (resume) restore_training_state(model_, opt_, run.saved, files.last(), device);
    if (ranks_.several()) {
      std::vector<torch::Tensor> state = model_->parameters();
      for (const auto& buffer : model_->buffers()) state.push_back(buffer);
      ranks_.broadcast(state, "broadcasting rank 0's weights");
      if (c.sync_bn) model_->synchronize_batchnorm(&ranks_);
    }
    if (amp == torch::kHalf) scaler_.emplace(run.loss_scale);
    model_->train();
    images_ = train_set.images.to(device);
    labels_ = train_set.labels.to(device);
    t0_ = std::chrono::steady_clock::now();
  }

  // One epoch: its steps, its cycle ends, its end. False when the run stops early.
  bool run_epoch(int64_t epoch) {
    auto gen = at::detail::createCPUGenerator(epoch_seed(c_.seed, epoch, 1));
    const auto order =
        torch::randperm(n_, gen, torch::TensorOptions().dtype(torch::kLong)).to(device_);
    // The epoch's augmentation, drawn after its order batch by batch, in one copy to the device.
    const CropFlipDraws draws =
        c_.augment ? draw_crop_flip_batches(n_, c_.batch_size, gen, device_) : CropFlipDraws{};
    EpochStats stats;
    PendingSums pending;
    Progress progress(
        "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(c_.schedule.epochs), n_,
        c_.progress);
    double lr = 0;
    for (int64_t b = 0; b < n_; b += c_.batch_size) {
      if (!ranks_.several()) {
        if (const int signal = stop_requested()) throw interrupted(signal, c_.run_dir, epoch);
      }
      const int64_t global = std::min(n_, b + c_.batch_size) - b;
      lr = schedule_.at(run_.step);
      take_step(order, draws, b, global, lr, pending);
      progress.advance(global);
      if (pending.steps >= check_every_) read_back(pending, stats, epoch);
      if (schedule_.is_cycle_end(run_.step)) {
        read_back(pending, stats, epoch);
        end_cycle(epoch, stats, lr);
        continue;
      }
      ++run_.step;
    }
    read_back(pending, stats, epoch);
    progress.finish();
    return end_epoch(epoch, stats, lr);
  }

  TrainSummary summary() const {
    TrainSummary summary;
    summary.run_dir = c_.run_dir;
    summary.snapshots_written = snapshots_;
    summary.cycles = run_.cycle;
    if (run_.best_val >= 0) summary.best_val_acc = run_.best_val;
    summary.stop = stop_reason_;
    summary.seconds = seconds();
    return summary;
  }

 private:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }

  // One optimizer step on this rank's contiguous part [lo, hi) of the global batch
  // [b, b + global), its loss weighted by its share (summed over ranks: the global batch's mean).
  void take_step(const torch::Tensor& order, const CropFlipDraws& draws, int64_t b, int64_t global,
                 double lr, PendingSums& pending) {
    const int64_t lo = b + global * ranks_.rank() / ranks_.size();
    const int64_t hi = b + global * (ranks_.rank() + 1) / ranks_.size();
    const auto idx = order.slice(0, lo, hi);
    const auto batch = images_.index_select(0, idx);
    auto x = normalize_cifar(c_.augment ? augment_crop_flip(batch, draws.slice(lo, hi)) : batch);
    if (cuda_) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    const auto y = labels_.index_select(0, idx);
    set_learning_rate(opt_, lr);
    opt_.zero_grad();
    torch::Tensor logits, loss;
    {
      AutocastScope autocast(device_, amp_);
      logits = model_->forward(x);
      loss = torch::nn::functional::cross_entropy(
          logits, y,
          torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(c_.label_smoothing));
    }
    const torch::Tensor objective =
        ranks_.several() ? loss * (static_cast<double>(hi - lo) / static_cast<double>(global))
                         : loss;
    reducer_.prepare();
    if (scaler_) {
      (objective * scaler_->scale()).backward();
      reducer_.finish();
      if (scaler_->unscale(params_)) opt_.step();
    } else {
      objective.backward();
      reducer_.finish();
      opt_.step();
    }
    pending.add(loss, logits, y);
  }

  // The losses since the last read into `stats`; a loss that is not finite, or a signal (with
  // several ranks: any rank's, so that all stop at the same step), ends the run.
  void read_back(PendingSums& pending, EpochStats& stats, int64_t epoch) {
    int stop = ranks_.several() ? stop_requested() : 0;
    if (!pending.flush_into(stats, ranks_, stop)) {
      throw InputError("training diverged at epoch " + std::to_string(epoch + 1) + ", step " +
                       std::to_string(run_.step) + " (loss is not finite): lower --lr");
    }
    if (stop) throw interrupted(stop, c_.run_dir, epoch);
  }

  // Without --sync-bn each rank's running statistics follow its own images: rank 0's are the
  // run's (as DDP's broadcast_buffers), given to all before validation and snapshots.
  void share_statistics() {
    if (!ranks_.several() || c_.sync_bn) return;
    std::vector<torch::Tensor> buffers = model_->buffers();
    ranks_.broadcast(buffers, "sharing rank 0's BatchNorm statistics");
  }

  // `steps_done`: the optimizer steps taken so far, this epoch's last one included.
  SnapshotMeta make_meta(int64_t epoch, int64_t steps_done, double lr, const EpochStats& stats,
                         const Validation& v, const nlohmann::json& flags) const {
    return snapshot_meta(model_->spec().name(), c_.seed, run_config_,
                         {epoch, run_.cycle, steps_done, lr}, stats, v, flags);
  }

  // A cycle's end (the rate's low point): validated, then snapshots/cycle-NNNN.h5.
  void end_cycle(int64_t epoch, const EpochStats& stats, double lr) {
    ++run_.cycle;
    share_statistics();
    const auto v = validate_epoch(model_, val_, c_, device_, ranks_);
    stop_if_diverging(stats, v, epoch);
    ++run_.step;
    if (writes_) {
      save_snapshot(files_.cycle_snapshot(run_.cycle),
                    make_meta(epoch + 1, run_.step, lr, stats, v, last_flags_.to_json()),
                    training_state(model_, opt_, false));
    }
    ++snapshots_;
  }

  // An epoch's end: validated and logged, best.h5 when validation improved, last.h5 (the resume
  // point) always. False when early stopping ends the run.
  bool end_epoch(int64_t epoch, const EpochStats& stats, double lr) {
    share_statistics();
    const auto v = validate_epoch(model_, val_, c_, device_, ranks_);
    stop_if_diverging(stats, v, epoch);
    const FitFlags fit = run_.monitor.update(stats.loss(), stats.accuracy(), v.loss);
    last_flags_ = fit;
    nlohmann::json line = epoch_log_line(epoch, run_.step, lr, stats, v, fit, seconds());
    if (ranks_.several()) {
      line["ranks"] = ranks_.size();
      line["gradient_sum_wait_seconds"] = reducer_.take_wait_seconds();  // not hidden by backward
    }
    if (c_.epoch_lines) print_epoch_line(epoch, c_.schedule.epochs, lr, stats, v, fit);
    const auto meta = make_meta(epoch + 1, run_.step, lr, stats, v, fit.to_json());
    if (std::isfinite(v.accuracy) && v.accuracy > run_.best_val) {
      run_.best_val = v.accuracy;
      if (writes_) save_snapshot(files_.best(), meta, training_state(model_, opt_, false));
    }
    if (writes_) {
      save_snapshot(files_.last(),
                    resume_point_meta(meta, run_config_, {epoch + 1, run_.cycle, run_.step, lr},
                                      run_.best_val, run_.monitor,
                                      scaler_ ? scaler_->scale() : run_.loss_scale),
                    training_state(model_, opt_, true));
      append_log_line(files_, line);  // after last.h5: a resumed run rewrites from there
    }
    if (!run_.monitor.should_stop(c_.early_stop_patience)) return true;
    stop_reason_ = "early stop: validation loss rose for " +
                   std::to_string(run_.monitor.rising_epochs()) + " epochs";
    return false;
  }

  const TrainConfig& c_;
  const LrSchedule& schedule_;
  RunState& run_;  // step, cycle, best validation accuracy, fit monitor: updated as it goes
  const RunFiles& files_;
  const Ranks& ranks_;
  const bool writes_;
  const torch::Device device_;
  const bool cuda_;
  const torch::ScalarType amp_;
  const ImageSet& val_;
  const int64_t n_;
  ResNet model_;
  torch::optim::SGD opt_;
  GradientReducer reducer_;
  const std::vector<torch::Tensor> params_;
  const nlohmann::json run_config_;
  const int64_t check_every_;
  std::optional<LossScaler> scaler_;
  torch::Tensor images_, labels_;
  FitFlags last_flags_;
  int64_t snapshots_ = 0;
  std::string stop_reason_ = "completed";
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace

int64_t images_per_epoch(const TrainConfig& c) {
  const int64_t n = c.data.dir.empty() ? kCifarTrainImages - c.data.validation_size
                                       : load_cifar10(c.data, Split::kTrain).size();
  return c.train_samples > 0 ? std::min(c.train_samples, n) : n;
}

TrainSummary train(TrainConfig c, bool resume) {
  const Ranks& ranks = Ranks::process();
  const bool writes = ranks.leads();  // rank 0 writes the run folder; the others only read it
  const RunFiles files{c.run_dir};
  // --init is read from what --overwrite would remove: refused before anything is touched.
  if (!resume && writes)
    OutputGuard({c.init}).check_folder("--out", c.run_dir, run_folder_outputs());
  std::optional<NewFolder> new_folder;  // removed again if the run is refused before it writes
  if (!resume && writes) new_folder.emplace(c.run_dir);
  std::optional<RunLock> lock;  // held until train() returns or throws
  if (writes && fs::is_directory(c.run_dir)) lock.emplace(c.run_dir);
  if (!resume && writes) claim_run_folder(c.run_dir, c.overwrite);
  RunState run;
  if (resume) run = resume_run(c, files);
  resume = run.resumed;
  torch::ScalarType amp = torch::kFloat;
  const torch::Device device = checked_device(c, amp);
  // cuDNN times its candidate kernels once per shape and keeps the fastest.
  if (device.is_cuda() && !at::globalContext().deterministicCuDNN())
    at::globalContext().setBenchmarkCuDNN(true);

  const ImageSet train_set = training_images(c);
  const ImageSet val =
      c.data.validation_size > 0 ? load_cifar10(c.data, Split::kValidation) : ImageSet{};
  check_batches_cover_ranks(train_set.size(), c, ranks);
  c.schedule.iterations_per_epoch = iterations_per_epoch(train_set.size(), c.batch_size);
  const LrSchedule schedule(c.schedule);  // refuses bad flags before any training
  if (writes) prepare_run_folder(files, resume, run.start_epoch, c.to_json().dump(2) + "\n");
  if (new_folder) new_folder->keep();

  Trainer trainer(c, schedule, run, files, resume, device, amp, train_set, val);
  for (int64_t epoch = run.start_epoch; epoch < c.schedule.epochs; ++epoch) {
    if (!trainer.run_epoch(epoch)) break;
  }
  return trainer.summary();
}

}  // namespace swa
