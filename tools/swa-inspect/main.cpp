// swa-inspect: what a snapshot file holds; --verify reads every tensor.
#include <iostream>
#include <optional>

#include "formats/input_error.h"
#include "formats/output_guard.h"
#include "lib/averaging/snapshot_inputs.h"
#include "lib/inspection/inspect_snapshot.h"
#include "lib/inspection/model_fit.h"
#include "tools/common/run_tool.h"
#include "tools/common/shared_options.h"

namespace {

std::string text_of(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>().empty() ? "-" : v.get<std::string>();
  return v.dump();
}

// "resnet50, 10 classes", or for a file without metadata what its tensors fit.
std::string architecture_line(const nlohmann::json& r) {
  const auto& m = r.at("meta");
  if (!r.contains("architecture_from_tensors")) {
    return text_of(m.at("arch")) + ", " + m.at("num_classes").dump() + " classes";
  }
  const auto& fit = r.at("architecture_from_tensors");
  const std::string classes = ", " + text_of(fit.at("num_classes")) + " classes";
  if (fit.at("arch").is_null())
    return "- (no metadata; fits no ResNet: " + text_of(fit.at("why")) + ")" + classes;
  return text_of(fit.at("arch")) + " (no metadata: the ResNet its tensors fit)" + classes;
}

void print_human(const nlohmann::json& r) {
  const auto& m = r.at("meta");
  std::cout << r.at("path").get<std::string>() << "\n"
            << "  format       " << text_of(r.at("format")) << " (" << r.at("file_bytes")
            << " bytes)\n"
            << "  arch         " << architecture_line(r) << "\n"
            << "  epoch/cycle  " << m.at("epoch") << " / " << m.at("cycle") << ", step "
            << m.at("step") << ", lr " << text_of(m.at("lr")) << "\n"
            << "  train        loss " << text_of(m.at("train_loss")) << ", acc "
            << text_of(m.at("train_acc")) << "\n"
            << "  validation   loss " << text_of(m.at("val_loss")) << ", acc "
            << text_of(m.at("val_acc")) << "\n"
            << "  bn_state     " << text_of(m.at("bn_state")) << "\n"
            << "  tensors      " << r.at("tensor_count") << " (" << r.at("parameter_count")
            << " parameters, " << r.at("tensor_bytes") << " bytes)\n"
            << "  producer     " << text_of(m.at("producer")) << " at "
            << text_of(m.at("created_utc")) << "\n";
  if (r.contains("state_dict")) {
    const auto& sd = r.at("state_dict");
    auto list = [](const nlohmann::json& items) {
      std::string s;
      for (const auto& item : items) s += (s.empty() ? "" : ", ") + item.get<std::string>();
      return s.empty() ? std::string("none") : s;
    };
    std::cout << "  state dict   "
              << (sd.at("object") == "root" ? std::string("the file's top-level dict")
                                            : "'" + sd.at("object").get<std::string>() + "'")
              << "; prefixes stripped: " << list(sd.at("stripped_prefixes"))
              << "; dropped: " << list(sd.at("dropped")) << "\n"
              << "  not taken    " << list(sd.at("skipped")) << "\n";
  }
  if (r.contains("model_fit")) {
    const auto& fit = r.at("model_fit");
    if (fit.at("fits").get<bool>()) {
      std::cout << "  model        fits " << text_of(fit.at("model")) << " ("
                << text_of(fit.at("class")) << ")";
      if (!fit.at("kept").empty())
        std::cout << "; " << fit.at("kept").size() << " buffer(s) keep the model's values";
      std::cout << "\n";
    } else {
      std::cout << "  model        does NOT fit " << text_of(fit.at("model")) << ": "
                << text_of(fit.at("problems")) << "\n";
    }
  }
  if (r.contains("verified")) {
    if (r.at("verified").get<bool>()) {
      std::cout << "  verify       ok: every tensor read, checksums and values fine\n";
    } else {
      for (const auto& p : r.at("problems"))
        std::cout << "  verify       FAILED: " << text_of(p.at("error")) << "\n";
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Show what snapshot files hold.", "swa-inspect"};
  app.footer(R"(Examples:
  swa-inspect swa.pt
  swa-inspect --verify snapshots/*.h5
  swa-inspect --json - snapshots/cycle-0003.h5
  swa-inspect runs/ref/snapshots/ 'ckpts/*.pt'       # folders and globs, as swa-average takes
  swa-inspect swa.pt --model model.ts                # does the snapshot fit this TorchScript model?

Exit code 1 when any file cannot be read, fails --verify or does not fit --model (with --quiet,
the exit code alone).)");
  std::vector<std::string> files;
  std::string json_target;
  bool verify = false, quiet = false;
  int threads = 0;
  app.add_option("files", files,
                 "Snapshot files (.h5, .pt/.pth/.ckpt/.bin, .safetensors), folders or globs")
      ->required();
  app.add_flag("--verify", verify, "Read every tensor: checksums (HDF5) and NaN/Inf");
  std::string model;
  app.add_option("--model", model,
                 "TorchScript file: whether each snapshot fits it, as swa-bn and swa-eval load "
                 "it (read without LibTorch)");
  swa::add_json_option(app, json_target);
  swa::add_threads_option(app, threads);
  std::string state_dict_key;
  swa::add_state_dict_key_option(app, state_dict_key);
  swa::add_quiet_option(app, quiet);

  return swa::run_tool(app, argc, argv, [&] {
    (void)threads;  // accepted like every tool's; inspection reads one tensor at a time
    nlohmann::json all = nlohmann::json::array();
    int code = swa::kExitOk;
    swa::ExpandOptions listing;  // every file found, by name: each one's problems are reported
    listing.keep_derived = true;
    listing.read_metadata = false;
    const std::vector<std::string> paths = swa::expand_snapshot_inputs(files, listing).paths;
    std::vector<std::string> inputs = paths;
    if (!model.empty()) inputs.push_back(model);
    swa::OutputGuard(inputs).check_json("--json", json_target);
    const std::optional<swa::TorchScriptArchive> archive =
        model.empty()
            ? std::nullopt
            : std::optional<swa::TorchScriptArchive>(swa::read_torchscript_archive(model));
    for (const auto& f : paths) {
      try {
        auto result = swa::inspect_snapshot(f, verify, state_dict_key);
        if (archive) {
          result.report["model_fit"] = swa::model_fit_report(model, *archive, f, state_dict_key);
          if (!result.report["model_fit"]["fits"].get<bool>()) result.ok = false;
        }
        if (!result.ok) code = swa::kExitBadInput;
        if (json_target.empty() && !quiet) print_human(result.report);
        all.push_back(result.report);
      } catch (const swa::InputError& e) {
        std::cerr << "swa-inspect: error: " << e.what() << "\n";
        all.push_back({{"path", f}, {"error", e.what()}});
        code = swa::kExitBadInput;
      }
    }
    if (!json_target.empty()) swa::emit_json(all, json_target);
    return code;
  });
}
