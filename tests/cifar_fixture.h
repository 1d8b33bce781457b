// Synthetic CIFAR-10 folders in the official binary layout, written by the tests themselves:
// labels cycle 0..9 (so every class has 5,000 training images), pixels are seeded noise.
#pragma once
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace swa::test {

inline void write_cifar_file(const std::string& path, uint32_t seed, int records = 10000,
                             int bad_label_at = -1) {
  std::mt19937 rng(seed);
  std::vector<char> buf(static_cast<size_t>(records) * 3073);
  for (int r = 0; r < records; ++r) {
    char* rec = buf.data() + static_cast<size_t>(r) * 3073;
    rec[0] = static_cast<char>(r == bad_label_at ? 11 : (r + static_cast<int>(seed)) % 10);
    for (int i = 1; i < 3073; ++i) rec[i] = static_cast<char>(rng() & 0xff);
  }
  std::ofstream(path, std::ios::binary).write(buf.data(), static_cast<std::streamsize>(buf.size()));
}

inline void write_cifar_folder(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  for (int i = 1; i <= 5; ++i) {
    write_cifar_file((dir / ("data_batch_" + std::to_string(i) + ".bin")).string(),
                     static_cast<uint32_t>(i));
  }
  write_cifar_file((dir / "test_batch.bin").string(), 99);
  std::ofstream meta(dir / "batches.meta.txt");
  for (const char* n :
       {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}) {
    meta << n << "\n";
  }
}

// One shared folder per test run (writing 180 MB per test would be slow).
inline const std::string& shared_cifar_folder() {
  static const std::string dir = [] {
    auto d =
        std::filesystem::temp_directory_path() / ("swa-test-cifar-" + std::to_string(::getpid()));
    write_cifar_folder(d);
    std::atexit([] {
      std::filesystem::remove_all(std::filesystem::temp_directory_path() /
                                  ("swa-test-cifar-" + std::to_string(::getpid())));
    });
    return d.string();
  }();
  return dir;
}

}  // namespace swa::test
