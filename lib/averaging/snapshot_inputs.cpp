#include "lib/averaging/snapshot_inputs.h"

#include <glob.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <tuple>

#include "formats/input_error.h"
#include "formats/tensor_file.h"
#include "lib/runtime/plural.h"

namespace swa {
namespace fs = std::filesystem;
namespace {

bool is_derived(const SnapshotMeta& m) {
  if (!m.provenance.is_object() || !m.provenance.contains("operation")) return false;
  const auto& op = m.provenance.at("operation");
  return op == "average" || op == "recompute_batchnorm";
}

// Why a file found by a folder or glob is no snapshot to read, or "" when it is one.
std::string why_not_a_snapshot(const fs::path& path) {
  std::error_code ec;
  if (fs::is_symlink(fs::symlink_status(path, ec)) && !fs::exists(path, ec)) {
    return "a link to '" + fs::read_symlink(path, ec).string() +
           "', which does not exist (a DVC or git-annex file not fetched?)";
  }
  if (::access(path.c_str(), R_OK) != 0)
    return std::string("cannot be read: ") + std::strerror(errno);
  return "";  // other bytes than a snapshot's: read_snapshot_meta says so, in the same read
}

// The files an expansion found, checked, read for their metadata and sorted by epoch.
class Expansion {
 public:
  Expansion(const ExpandOptions& options, ExpandedInputs& out) : options_(options), out_(out) {}

  void take(const std::string& where, std::vector<std::string> found) {
    struct Keyed {
      std::tuple<int64_t, int64_t, int64_t, std::string> key;
      std::string path;
    };
    std::vector<Keyed> keyed;
    for (const auto& p : found) {
      std::string why = options_.read_metadata ? why_not_a_snapshot(p) : "";
      SnapshotMeta m;
      if (why.empty() && options_.read_metadata) {
        try {
          m = read_snapshot_meta(p, options_.state_dict_key);
        } catch (const InputError& e) {
          why = e.what();
        }
      }
      if (!why.empty()) {
        if (!options_.skip_bad_files) {
          throw InputError(p, why + " (found in " + where +
                                  "; remove it, or pass --skip-bad-files to go on without it)");
        }
        out_.skipped.push_back(p + ": " + why);
        continue;
      }
      if (!options_.keep_derived && is_derived(m)) {
        out_.left_out.push_back(p);
        continue;
      }
      keyed.push_back({{m.epoch, m.cycle, m.step, p}, p});
    }
    std::sort(keyed.begin(), keyed.end(),
              [](const Keyed& a, const Keyed& b) { return a.key < b.key; });
    for (auto& k : keyed) out_.paths.push_back(std::move(k.path));
  }

 private:
  const ExpandOptions& options_;
  ExpandedInputs& out_;
};

std::vector<std::string> folder_entries(const std::string& folder) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    std::error_code ec;
    if (name[0] == '.' || !has_snapshot_extension(name) || entry.is_directory(ec)) continue;
    found.push_back(entry.path().string());
  }
  if (found.empty()) {
    throw InputError(folder, "folder holds no snapshot files (.h5, .pt, .safetensors)");
  }
  return found;
}

std::vector<std::string> glob_entries(const std::string& pattern) {
  glob_t g{};
  const int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
  std::vector<std::string> found;
  if (rc == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) found.emplace_back(g.gl_pathv[i]);
  }
  globfree(&g);
  if (found.empty()) throw InputError(pattern, "pattern matches no file");
  return found;
}

}  // namespace

ExpandedInputs expand_snapshot_inputs(const std::vector<std::string>& args,
                                      const ExpandOptions& options) {
  ExpandedInputs out;
  Expansion expansion(options, out);
  for (const auto& arg : args) {
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      expansion.take("folder " + arg, folder_entries(arg));
    } else if (fs::exists(arg, ec)) {
      out.paths.push_back(arg);
    } else if (fs::is_symlink(fs::symlink_status(arg, ec))) {
      throw InputError(arg, why_not_a_snapshot(arg));
    } else if (arg.find_first_of("*?[") != std::string::npos) {
      expansion.take("the glob " + arg, glob_entries(arg));
    } else {
      throw InputError(arg, "no such file or folder");
    }
  }
  if (out.paths.empty()) {
    if (!out.left_out.empty())
      throw InputError(args.front(), "holds no snapshot but " + describe_left_out(out));
    throw InputError(args.front(), "no snapshot left to read (every file found was skipped)");
  }
  return out;
}

std::string describe_left_out(const ExpandedInputs& expanded) {
  if (expanded.left_out.empty()) return "";
  std::string names;
  for (const auto& p : expanded.left_out) names += (names.empty() ? "" : ", ") + p;
  return "left out " + count_of(expanded.left_out.size(), "file") +
         " this toolkit wrote (averages or BatchNorm outputs; name " +
         (expanded.left_out.size() == 1 ? "it" : "them") + " to take " +
         (expanded.left_out.size() == 1 ? "it" : "them") + "): " + names;
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
