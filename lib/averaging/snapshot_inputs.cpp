#include "lib/averaging/snapshot_inputs.h"

#include <glob.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <tuple>

#include "formats/input_error.h"
#include "formats/tensor_file.h"

namespace swa {
namespace fs = std::filesystem;
namespace {

void sort_by_epoch(std::vector<std::string>& paths) {
  struct Keyed {
    std::tuple<int64_t, int64_t, int64_t, std::string> key;
    std::string path;
  };
  std::vector<Keyed> keyed;
  for (const auto& p : paths) {
    const SnapshotMeta m = read_snapshot_meta(p);
    keyed.push_back({{m.epoch, m.cycle, m.step, p}, p});
  }
  std::sort(keyed.begin(), keyed.end(),
            [](const Keyed& a, const Keyed& b) { return a.key < b.key; });
  for (size_t i = 0; i < paths.size(); ++i) paths[i] = keyed[i].path;
}

std::vector<std::string> folder_snapshots(const std::string& folder) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && has_snapshot_extension(name) && name[0] != '.') {
      found.push_back(entry.path().string());
    }
  }
  if (found.empty()) {
    throw InputError(folder, "folder holds no snapshot files (.h5, .pt, .safetensors)");
  }
  sort_by_epoch(found);
  return found;
}

std::vector<std::string> glob_snapshots(const std::string& pattern) {
  glob_t g{};
  const int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
  std::vector<std::string> found;
  if (rc == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) found.emplace_back(g.gl_pathv[i]);
  }
  globfree(&g);
  if (found.empty()) throw InputError(pattern, "pattern matches no file");
  sort_by_epoch(found);
  return found;
}

}  // namespace

std::vector<std::string> expand_snapshot_inputs(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const auto& arg : args) {
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      auto files = folder_snapshots(arg);
      out.insert(out.end(), files.begin(), files.end());
    } else if (fs::exists(arg, ec)) {
      out.push_back(arg);
    } else if (arg.find_first_of("*?[") != std::string::npos) {
      auto files = glob_snapshots(arg);
      out.insert(out.end(), files.begin(), files.end());
    } else {
      throw InputError(arg, "no such file or folder");
    }
  }
  return out;
}

std::vector<size_t> select_snapshots(const std::vector<std::string>& paths,
                                     const std::vector<int64_t>& epochs,
                                     const SelectionOptions& options) {
  if (options.every < 1) throw InputError("--every must be at least 1");
  if (options.last < 0) throw InputError("--last must not be negative");
  std::vector<size_t> kept;
  for (size_t i = 0; i < paths.size(); ++i) {
    if (options.from_epoch >= 0) {
      if (epochs[i] < 0) {
        throw InputError(paths[i], "has no epoch in its metadata, so --from-epoch cannot judge it");
      }
      if (epochs[i] < options.from_epoch) continue;
    }
    kept.push_back(i);
  }
  std::vector<size_t> strided;
  for (size_t j = 0; j < kept.size(); j += static_cast<size_t>(options.every)) {
    strided.push_back(kept[j]);
  }
  if (options.last > 0 && strided.size() > static_cast<size_t>(options.last)) {
    strided.erase(strided.begin(), strided.end() - options.last);
  }
  if (strided.empty())
    throw InputError("the selection (--from-epoch/--every/--last) left no snapshot");
  return strided;
}

}  // namespace swa
