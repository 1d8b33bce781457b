#include "tools/common/shared_options.h"

#include <fstream>
#include <iostream>

#include "formats/atomic_output.h"
#include "formats/input_error.h"
#include "lib/runtime/dtype_names.h"
#include "tools/common/number_checks.h"

namespace swa {

void add_threads_option(CLI::App& app, int& threads, const std::string& help) {
  app.add_option("--threads", threads, help)->default_val(0)->check(at_least(0));
}

void add_json_option(CLI::App& app, std::string& target) {
  app.add_option("--json", target, "Write machine-readable JSON to FILE, or '-' for stdout");
}

void add_data_options(CLI::App& app, std::string& dir, int64_t& validation_size) {
  app.add_option("--data", dir,
                 "CIFAR-10 binary folder (data_batch_*.bin, test_batch.bin; or its "
                 "cifar-10-batches-bin/ parent), or with --model a tensor file (.safetensors, .h5, "
                 ".pt) holding inputs [N, ...] and labels [N]")
      ->envname("SWA_DATA");
  app.add_option("--val-size", validation_size,
                 "Training images held out for validation (stratified, fixed seed; 0: none)")
      ->capture_default_str()
      ->check(at_least(0));
}

void add_model_data_options(CLI::App& app, ModelDataFlags& f) {
  const char* group = "Your model and data";
  app.add_option("--model", f.model,
                 "TorchScript file of the architecture (torch.jit.script(model).save(...)): the "
                 "snapshot's weights are loaded into it by key (default: a built-in ResNet)")
      ->group(group);
  app.add_option("--input-key", f.input_key, "Tensor file --data: the inputs' name")
      ->capture_default_str()
      ->group(group);
  app.add_option("--label-key", f.label_key, "Tensor file --data: the labels' name (int64 [N])")
      ->capture_default_str()
      ->group(group);
  app.add_option("--mean", f.mean,
                 "Tensor file --data with uint8 pixels: per-channel mean of pixels scaled to "
                 "[0, 1] (one value, or one per channel)")
      ->delimiter(',')
      ->group(group);
  app.add_option("--std", f.std, "Likewise the per-channel standard deviation")
      ->delimiter(',')
      ->group(group);
}

void add_device_option(CLI::App& app, std::string& device) {
  // One of a fixed set plus an index, so --help lists the choices and CLI11 refuses the rest.
  const CLI::Validator device_name(
      [](const std::string& value) -> std::string {
        if (value == "auto" || value == "cpu" || value == "cuda") return "";
        if (value.rfind("cuda:", 0) == 0 && value.size() > 5 &&
            value.find_first_not_of("0123456789", 5) == std::string::npos) {
          return "";
        }
        return "'" + value + "' is not auto, cpu, cuda or cuda:N";
      },
      "{auto,cpu,cuda,cuda:N}");
  app.add_option("--device", device, "Where the model runs")
      ->capture_default_str()
      ->check(device_name);
}

CLI::Validator dtype_name_check() {
  return CLI::Validator(
      [](const std::string& value) -> std::string {
        if (floating_type_named(value)) return "";
        return "'" + value + "' is not " + dtype_names_help();
      },
      "{fp32,bf16,fp16}");
}

void add_batch_size_option(CLI::App& app, int64_t& batch_size, const std::string& help) {
  app.add_option("--batch-size", batch_size, help)->capture_default_str()->check(at_least(1));
}

void add_distributed_options(CLI::App& app, DistributedOptions& options) {
  app.add_option("--dist-backend", options.backend,
                 "Collectives between ranks under torchrun, swa-launch or SLURM: auto (gloo), "
                 "gloo, or nccl (CUDA builds only); named with WORLD_SIZE=1, a group of one")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "gloo", "nccl"}))
      ->group("Several processes");
  app.add_option("--dist-timeout", options.timeout_seconds,
                 "Seconds to wait for every rank at the rendezvous and at each collective before "
                 "giving up (exit 5)")
      ->capture_default_str()
      ->check(more_than(0))
      ->group("Several processes");
}

void add_state_dict_key_option(CLI::App& app, std::string& key) {
  app.add_option(
      "--key", key,
      "PyTorch checkpoints: the object to take as the state dict (e.g. state_dict_ema, or a.b for "
      "nesting); default: the file itself if it is one, else state_dict, model_state_dict, model, "
      "module or net");
}

void add_quiet_option(CLI::App& app, bool& quiet) {
  app.add_flag("-q,--quiet", quiet,
               "Nothing on stderr but warnings and errors (no progress, no summary)");
}

void add_image_tool_options(CLI::App& app, ImageToolFlags& f, const std::string& split_help) {
  add_data_options(app, f.data_dir, f.validation_size);
  app.add_option("--split", f.split, split_help)
      ->capture_default_str()
      ->check(CLI::IsMember({"test", "val", "train"}));
  add_batch_size_option(app, f.batch_size);
  add_device_option(app, f.device);
  add_json_option(app, f.json);
  add_threads_option(app, f.threads);
  add_state_dict_key_option(app, f.state_dict_key);
  add_quiet_option(app, f.quiet);
}

void emit_json(const nlohmann::json& doc, const std::string& target) {
  if (target == "-") {
    std::cout << doc.dump(2) << std::endl;
    return;
  }
  write_file_atomically(target, doc.dump(2) + "\n");
}

}  // namespace swa
