#include "lib/training/training_state.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <type_traits>

#include "formats/input_error.h"

namespace swa {
namespace {

constexpr const char* kMomentumPrefix = "optimizer.momentum_buffer.";

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

}  // namespace

void set_learning_rate(torch::optim::SGD& opt, double lr) {
  for (auto& group : opt.param_groups())
    static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
}

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

RunState resume_run(TrainConfig& c, const RunFiles& files) {
  const std::string last_path = files.last(), config_path = files.config();
  RunState run;
  if (!std::filesystem::exists(last_path)) {
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

}  // namespace swa
