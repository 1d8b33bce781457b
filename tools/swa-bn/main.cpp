// swa-bn: re-estimate BatchNorm statistics for a snapshot's weights (as update_bn does).
#include <iostream>

#include "formats/input_error.h"
#include "formats/output_guard.h"
#include "lib/batchnorm/batchnorm_snapshot.h"
#include "lib/data/cifar10.h"
#include "lib/data/open_example_source.h"
#include "lib/distributed/ranks.h"
#include "lib/runtime/device.h"
#include "lib/runtime/measured_choice.h"
#include "lib/runtime/threads.h"
#include "tools/common/number_checks.h"
#include "tools/common/run_tool.h"
#include "tools/common/shared_options.h"

namespace {

// What swa-bn says on stderr after the pass (not with --quiet).
void print_summary(const swa::BatchNormSummary& s) {
  if (s.pass.layout_source.kind == swa::ChoiceSource::Kind::kMeasured) {
    std::string speeds;
    for (const auto& [name, speed] : s.pass.measured_images_per_second) {
      speeds += (speeds.empty() ? "" : ", ") + name + " " +
                std::to_string(static_cast<int64_t>(speed)) + " images/s";
    }
    std::cerr << "swa-bn: layout " << swa::layout_name(s.pass.layout)
              << ", measured on this machine (one batch: " << speeds << "); remembered in "
              << swa::measured_choices_file() << "\n";
  }
  for (const auto& note : s.notes) std::cerr << "swa-bn: " << note << "\n";
  if (s.bn_state == swa::bn_state::kNone) {
    std::cerr << "swa-bn: no BatchNorm -> " << s.output << " (bn_state=none)\n";
  } else {
    std::cerr << "swa-bn: " << s.pass.images << " images"
              << (s.layers > 0 ? ", " + std::to_string(s.layers) + " BatchNorm layers" : "")
              << " on " << s.device << ", " << static_cast<int64_t>(s.images_per_second)
              << " img/s -> " << s.output << " (bn_state=recomputed)\n";
  }
}

// --json: the pass as documented in docs/swa-bn.md; `model` is --model's file, if any.
nlohmann::json summary_json(const swa::BatchNormSummary& s, const std::string& model) {
  return {{"input", s.input},
          {"output", s.output},
          {"arch", s.arch},
          {"model", model.empty() ? nlohmann::json() : nlohmann::json(model)},
          {"bn_state", s.bn_state},
          {"batchnorm_layers", s.layers < 0 ? nlohmann::json() : nlohmann::json(s.layers)},
          {"notes", s.notes},
          {"images", s.pass.images},
          {"split", s.split},
          {"device", s.device},
          {"layout",
           {{"name", model.empty() ? swa::layout_name(s.pass.layout) : "as scripted"},
            {"chosen_by", s.pass.layout_source.text()},
            {"measured_images_per_second", s.pass.measured_images_per_second}}},
          {"setup_seconds", s.pass.setup_seconds},
          {"pass_seconds", s.pass.pass_seconds},
          {"images_per_second", s.images_per_second},
          {"total_seconds", s.total_seconds}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Recompute BatchNorm statistics for a snapshot (torch.optim.swa_utils.update_bn).",
               "swa-bn"};
  app.footer(R"(Examples:
  swa-bn swa.pt --data cifar10/ -o swa-bn.pt
  swa-bn swa.h5 --data cifar10/ --samples 10000 -o swa-bn.h5      # faster estimate
  swa-bn swa.pt --data cifar10/ --val-size 0 --device cuda -o swa-bn.safetensors
  swa-bn swa.pt --model mobilenet.ts --data train.safetensors -o swa-bn.pt   # your model and data

One pass over the training split (the training files minus the validation hold-out), in order,
without augmentation unless --augment. The output records bn_state=recomputed. With --model, every
torch BatchNorm1d/2d/3d or SyncBatchNorm that tracks running statistics is re-estimated as
update_bn does; a model without one gets the snapshot back unchanged (bn_state=none).)");
  swa::BatchNormRequest req;
  swa::ImageToolFlags flags;
  flags.split = "train";
  flags.validation_size = swa::kDefaultValidationSize;
  app.add_option("input", req.input, "Snapshot (.h5, .pt, .safetensors)")->required();
  app.add_option("-o,--output", req.output, "Output snapshot")->required();
  swa::add_image_tool_options(app, flags, "Images to use: train, val or test");
  app.add_option("--samples", req.samples, "Use a fixed, seeded subset of N images (0: all)")
      ->check(swa::at_least(0));
  app.add_option("--seed", req.pass.seed, "Seed for --samples and --augment")
      ->capture_default_str();
  app.add_flag("--augment", req.pass.augment, "Random crop + flip, as in training");
  app.add_option("--arch", req.arch_override,
                 "Architecture (default: the metadata's, else the ResNet the tensors fit)");
  std::string layout = "auto";
  app.add_option("--layout", layout,
                 "Memory layout of the pass: contiguous, channels_last, onednn (CPU: weights "
                 "prepacked, activations in oneDNN's blocked layout); auto: channels_last on CUDA, "
                 "on the CPU the fastest, measured once per machine")
      ->check(CLI::IsMember({"auto", "contiguous", "channels_last", "onednn"}))
      ->capture_default_str();

  swa::ModelDataFlags model_data;
  swa::add_model_data_options(app, model_data);
  swa::DistributedOptions distributed;
  swa::add_distributed_options(app, distributed);

  return swa::run_tool(app, argc, argv, [&] {
    swa::set_compute_threads(flags.threads);
    // Under torchrun or swa-launch: every rank takes its share of the batches, rank 0 speaks
    const swa::Ranks& ranks = swa::Ranks::join_from_environment(distributed);
    if (!ranks.leads()) flags.quiet = true;
    swa::OutputGuard guard({req.input, req.output});  // the snapshot written is no JSON target
    for (const auto& f : swa::data_files(flags.data_dir)) guard.add_input(f);
    if (!model_data.model.empty()) guard.add_input(model_data.model);
    guard.check_json("--json", flags.json);
    req.data = {flags.data_dir, flags.validation_size};
    req.model = model_data.model;
    req.state_dict_key = flags.state_dict_key;
    req.tensors = {model_data.input_key, model_data.label_key, false, model_data.mean,
                   model_data.std};
    req.split = swa::parse_split(flags.split);
    req.pass.batch_size = flags.batch_size;
    req.pass.device = ranks.local_device(swa::resolve_device(flags.device));
    req.pass.progress = !flags.quiet;
    if (layout != "auto") req.pass.layout = swa::layout_named(layout);
    if (req.pass.layout && !swa::layout_runs_on(*req.pass.layout, req.pass.device)) {
      throw swa::InputError("--layout " + layout,
                            "needs the CPU and a LibTorch built with oneDNN; "
                            "this run is on " +
                                req.pass.device.str());
    }
    const swa::BatchNormSummary s = swa::recompute_snapshot_batchnorm(req);
    if (!flags.quiet) print_summary(s);
    if (!flags.json.empty() && ranks.leads())
      swa::emit_json(summary_json(s, model_data.model), flags.json);
    return swa::kExitOk;
  });
}
