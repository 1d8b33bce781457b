// Shared by the unit tests: a scratch folder and tiny snapshots with the full ResNet key set.
#pragma once
#include <filesystem>
#include <fstream>
#include <string>

#include "formats/snapshot.h"
#include "lib/models/resnet.h"
#include "lib/models/state_dict.h"

namespace swa::test {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "swa-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }
  // Names in the folder, hidden temporaries included: proves nothing was left behind.
  size_t entry_count() const {
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(path_),
                                             std::filesystem::directory_iterator()));
  }

 private:
  std::filesystem::path path_;
};

constexpr const char* kTinyArch = "resnet18-cifar-w4";

// A tiny ResNet-18 (width 4) state with seeded random weights and BN statistics.
inline StateDict tiny_state(uint64_t seed) {
  torch::manual_seed(seed);
  auto model = make_resnet(kTinyArch, 10);
  StateDict s = state_dict(*model);
  torch::NoGradGuard no_grad;
  for (auto& [key, t] : s) {
    t = t.clone();
    if (t.is_floating_point()) {
      t.copy_(torch::randn_like(t));
      if (key.find("running_var") != std::string::npos) t.abs_().add_(0.1);
    } else {
      t.fill_(static_cast<int64_t>(seed) + 1);
    }
  }
  return s;
}

inline SnapshotMeta tiny_meta(int64_t epoch) {
  SnapshotMeta m;
  m.arch = kTinyArch;
  m.num_classes = 10;
  m.epoch = epoch;
  m.cycle = epoch;
  m.step = epoch * 10;
  m.lr = 0.01;
  m.val_acc = 50.0 + epoch;
  m.val_loss = 1.0 / (epoch + 1);
  m.seed = 7;
  m.producer = "test";
  m.config = {{"batch_size", 128}};
  return m;
}

inline std::string write_tiny(const TempDir& dir, const std::string& name, uint64_t seed,
                              int64_t epoch) {
  const std::string path = dir.file(name);
  save_snapshot(path, tiny_meta(epoch), tiny_state(seed));
  return path;
}

inline bool bit_equal(const torch::Tensor& a, const torch::Tensor& b) {
  return a.scalar_type() == b.scalar_type() && a.sizes() == b.sizes() &&
         std::memcmp(a.contiguous().data_ptr(), b.contiguous().data_ptr(),
                     static_cast<size_t>(a.nbytes())) == 0;
}

inline void flip_byte(const std::string& path, std::streamoff offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(offset);
  char c;
  f.get(c);
  f.seekp(offset);
  f.put(static_cast<char>(c ^ 0x5a));
}

}  // namespace swa::test
