// Flags every tool spells the same way, defined once.
#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lib/distributed/rank_environment.h"

namespace swa {

// --threads N (default 0: all cores); `help` says what the threads do in this tool.
void add_threads_option(CLI::App& app, int& threads,
                        const std::string& help = "Compute threads (0: all cores)");
// --json FILE|- : machine-readable output ('-' is stdout).
void add_json_option(CLI::App& app, std::string& target);
// --data DIR (or $SWA_DATA) and --val-size N: where CIFAR-10 is and how much of its training
// files is held out for validation.
void add_data_options(CLI::App& app, std::string& dir, int64_t& validation_size);
// --device auto|cpu|cuda[:N].
void add_device_option(CLI::App& app, std::string& device);
// --key PATH: which object of a PyTorch checkpoint is the state dict (e.g. state_dict_ema;
// dotted for nesting), for every .pt file the tool reads; the tool passes `key` to its readers.
void add_state_dict_key_option(CLI::App& app, std::string& key);
// -q,--quiet: nothing on stderr but warnings and errors (no progress, no summary lines).
void add_quiet_option(CLI::App& app, bool& quiet);
// A check for flags that take a dtype (lib/runtime/dtype_names.h): its names and aliases pass,
// anything else is CLI11's validation error.
CLI::Validator dtype_name_check();
// --batch-size N (at least 1); `help` says what a batch is in this tool.
void add_batch_size_option(CLI::App& app, int64_t& batch_size,
                           const std::string& help = "Images per batch");
// The flags of every tool that runs a model over CIFAR-10 images: --data, --val-size, --split,
// --batch-size, --device, --json, --threads, --key, --quiet.
struct ImageToolFlags {
  std::string data_dir;
  int64_t validation_size = 0;  // tools set lib/data/cifar10.h's kDefaultValidationSize
  std::string split;
  int64_t batch_size = 500;
  std::string device = "auto";
  std::string json;
  int threads = 0;
  std::string state_dict_key;  // --key
  bool quiet = false;
};
void add_image_tool_options(CLI::App& app, ImageToolFlags& flags, const std::string& split_help);
// --model (a TorchScript file of the architecture) and how a tensor file given as --data is read:
// --input-key, --label-key, --mean, --std (lib/data/tensor_file_examples.h).
struct ModelDataFlags {
  std::string model;
  std::string input_key = "inputs", label_key = "labels";
  std::vector<double> mean, std;
};
void add_model_data_options(CLI::App& app, ModelDataFlags& flags);
// --dist-backend and --dist-timeout: how the ranks of a torchrun, swa-launch or SLURM job join
// (lib/distributed/ranks.h); without such a launcher they change nothing.
void add_distributed_options(CLI::App& app, DistributedOptions& options);
// Writes `doc` to stdout ('-') or atomically to a file.
void emit_json(const nlohmann::json& doc, const std::string& target);

}  // namespace swa
