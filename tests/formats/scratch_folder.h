// A temporary folder for one torch-free test, removed with everything in it when it goes.
#pragma once
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace swa::test {

struct ScratchFolder {
  std::filesystem::path dir;
  ScratchFolder() {
    std::string t = (std::filesystem::temp_directory_path() / "swa-formats-XXXXXX").string();
    dir = ::mkdtemp(t.data());
  }
  ~ScratchFolder() { std::filesystem::remove_all(dir); }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  // The path of `name` in the folder, written with `bytes` first.
  std::string file(const std::string& name, const std::string& bytes = "") const {
    const std::string p = (dir / name).string();
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
};

}  // namespace swa::test
