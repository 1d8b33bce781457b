#include "formats/output_guard.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "formats/input_error.h"

namespace swa {
namespace fs = std::filesystem;
namespace {

constexpr int64_t kLargestJsonBytes = int64_t{256} << 20;  // larger: no JSON this toolkit wrote

// Why an existing file may not take a JSON document, or "" when it may.
std::string why_not_json(const std::string& path, int64_t size) {
  if (size == 0) return "";
  if (size > kLargestJsonBytes) return "holds " + std::to_string(size) + " bytes, not JSON";
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot be read";
  std::stringstream text;
  text << in.rdbuf();
  if (nlohmann::json::accept(text.str())) return "";
  return "holds no JSON";
}

// The nearest folder of `dir` that exists ("a/b/c" with only "a" there: "a").
fs::path nearest_existing(fs::path dir) {
  dir = fs::absolute(dir).lexically_normal();
  std::error_code ec;
  while (!fs::exists(dir, ec) && dir.has_parent_path() && dir.parent_path() != dir) {
    dir = dir.parent_path();
  }
  return dir;
}

bool matches_written(const fs::path& relative, const std::string& name) {
  if (!name.empty() && name.back() == '/') {
    const std::string sub = name.substr(0, name.size() - 1);
    return !relative.empty() && relative.begin()->string() == sub;
  }
  if (relative.has_parent_path()) return false;
  if (name.rfind("*.", 0) == 0) return relative.extension().string() == name.substr(1);
  return relative.string() == name;
}

}  // namespace

bool names_folder(const std::string& path) { return !path.empty() && path.back() == '/'; }

OutputGuard::OutputGuard(const std::vector<std::string>& inputs) {
  for (const auto& in : inputs) add_input(in);
}

void OutputGuard::add_input(const std::string& path) {
  if (auto id = identity_of(path)) inputs_.emplace_back(path, *id);
}

void OutputGuard::refuse_input(const std::string& flag, const std::string& path) const {
  const auto out = identity_of(path);
  if (!out) return;
  for (const auto& [in, id] : inputs_) {
    if (out->same_file(id)) {
      const std::string same = in == path ? "" : " (the same file as " + in + ")";
      throw InputError(flag + " " + path, "is an input of this command" + same +
                                              " and would be overwritten; choose another name");
    }
  }
}

void OutputGuard::check_file(const std::string& flag, const std::string& path) const {
  const std::string where = flag + " " + path;
  if (path.empty()) throw InputError(flag, "needs a file name");
  std::error_code ec;
  if (names_folder(path) || fs::is_directory(path, ec)) {
    const std::string example = flag == "--json" ? "out.json" : "out.pt";
    throw InputError(where, "names a folder, and " + flag +
                                " takes one file: give its name (e.g. " +
                                (fs::path(path) / example).lexically_normal().string() + ")");
  }
  fs::path folder = fs::path(path).parent_path();
  if (folder.empty()) folder = ".";
  if (!fs::is_directory(folder, ec)) {
    throw InputError(where, "the folder '" + folder.string() + "' does not exist");
  }
  if (::access(folder.c_str(), W_OK) != 0) {
    throw InputError(where, "the folder '" + folder.string() + "' is not writable");
  }
  refuse_input(flag, path);
}

void OutputGuard::check_json(const std::string& flag, const std::string& target) const {
  if (target.empty() || target == "-") return;
  check_file(flag, target);
  const auto id = identity_of(target);
  if (!id) return;
  const std::string why = why_not_json(target, id->size);
  if (!why.empty()) {
    throw InputError(flag + " " + target,
                     "exists and " + why + ", so it is not replaced: " + flag +
                         " takes '-' for stdout, a new file, or a JSON file to replace (was the "
                         "'-' forgotten?)");
  }
}

void OutputGuard::check_folder(const std::string& flag, const std::string& dir,
                               const std::vector<std::string>& written) const {
  const std::string where = flag + " " + dir;
  if (dir.empty()) throw InputError(flag, "needs a folder");
  std::error_code ec;
  const fs::path existing = nearest_existing(dir);
  if (!fs::is_directory(existing, ec)) {
    throw InputError(where, "'" + existing.string() + "' is a file, not a folder");
  }
  if (::access(existing.c_str(), W_OK) != 0) {
    throw InputError(where, "the folder '" + existing.string() + "' is not writable");
  }
  if (!fs::is_directory(dir, ec)) return;  // a new folder holds no input
  const fs::path root = fs::canonical(dir, ec);
  for (const auto& [in, id] : inputs_) {
    const fs::path real = fs::canonical(in, ec);
    if (ec) continue;
    const fs::path relative = real.lexically_relative(root);
    if (relative.empty() || relative.begin()->string() == "..") continue;
    for (const auto& name : written) {
      if (matches_written(relative, name)) {
        throw InputError(
            where, "would replace " + in + ", an input of this command; choose another folder");
      }
    }
  }
}

NewFolder::NewFolder(const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec)) return;
  fs::path outermost = fs::absolute(dir).lexically_normal();
  if (!outermost.has_filename()) outermost = outermost.parent_path();  // "dir/"
  while (outermost.has_parent_path() && outermost.parent_path() != outermost &&
         !fs::exists(outermost.parent_path(), ec)) {
    outermost = outermost.parent_path();
  }
  fs::create_directories(dir, ec);
  if (ec) throw InputError(dir, "cannot create the folder: " + ec.message());
  created_ = outermost.string();
}

NewFolder::~NewFolder() {
  if (created_.empty()) return;
  std::error_code ec;
  fs::remove_all(created_, ec);
}

}  // namespace swa
