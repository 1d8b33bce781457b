#include "formats/torch_pickle_plugin.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "formats/input_error.h"

namespace swa {
namespace {

constexpr const char* kLibraryName = "libswa_torch_pickle.so";

using OpenFn = TensorFileReader* (*)(const std::string&);
using CreateFn = TensorFileWriter* (*)(const std::string&, const StoredLayout&);

struct Entry {
  OpenFn open = nullptr;
  CreateFn create = nullptr;
  std::string error;  // why loading failed
};

std::vector<std::filesystem::path> candidate_folders() {
  std::vector<std::filesystem::path> out;
  if (const char* dir = std::getenv("SWA_PLUGIN_DIR"); dir && *dir) out.emplace_back(dir);
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    out.push_back(exe.parent_path());
    out.push_back(exe.parent_path().parent_path());
    out.push_back(exe.parent_path().parent_path() / "lib" / "swa");
  }
  return out;
}

const Entry& load() {
  static Entry entry;
  static std::once_flag once;
  std::call_once(once, [] {
    std::string tried;
    for (const auto& folder : candidate_folders()) {
      const auto file = folder / kLibraryName;
      if (!std::filesystem::exists(file)) {
        tried += (tried.empty() ? "" : ", ") + folder.string();
        continue;
      }
      void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!handle) {
        entry.error = std::string("cannot load ") + file.string() + ": " + ::dlerror();
        return;
      }
      entry.open = reinterpret_cast<OpenFn>(::dlsym(handle, "swa_torch_pickle_open"));
      entry.create = reinterpret_cast<CreateFn>(::dlsym(handle, "swa_torch_pickle_create"));
      if (!entry.open || !entry.create) entry.error = file.string() + " is not the swa .pt plugin";
      return;
    }
    entry.error = std::string(kLibraryName) + " (LibTorch) was not found in " + tried +
                  "; set SWA_PLUGIN_DIR to the folder that holds it, or use .h5 or .safetensors";
  });
  return entry;
}

}  // namespace

std::unique_ptr<TensorFileReader> TorchPicklePlugin::open(const std::string& path) const {
  const Entry& e = load();
  if (!e.open) throw InputError(path, ".pt files need the LibTorch plugin: " + e.error);
  return std::unique_ptr<TensorFileReader>(e.open(path));
}

std::unique_ptr<TensorFileWriter> TorchPicklePlugin::create(const std::string& path,
                                                            const StoredLayout& layout) const {
  const Entry& e = load();
  if (!e.open) throw InputError(path, ".pt files need the LibTorch plugin: " + e.error);
  return std::unique_ptr<TensorFileWriter>(e.create(path, layout));
}

const TorchPicklePlugin& torch_pickle_plugin() {
  static const TorchPicklePlugin plugin;
  return plugin;
}

}  // namespace swa
