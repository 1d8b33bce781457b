#include "lib/data/cifar10.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "formats/cifar_batch_file.h"
#include "formats/input_error.h"

namespace swa {
namespace fs = std::filesystem;
namespace {

constexpr const char* kHowToGet =
    "expected the CIFAR-10 binary version: data_batch_1.bin .. data_batch_5.bin, test_batch.bin "
    "and batches.meta.txt, in the folder or in its cifar-10-batches-bin/ (unpack "
    "cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html, or on this "
    "project's machines run ../shared/data/cifar10/prepare.sh DIR)";

bool has_batches(const fs::path& p) {
  return fs::exists(p / "data_batch_1.bin") || fs::exists(p / "test_batch.bin");
}

ImageSet read_batch_files(const std::string& folder, const std::vector<std::string>& names) {
  const int64_t n = kCifarBatchImages * static_cast<int64_t>(names.size());
  std::vector<uint8_t> raw(static_cast<size_t>(n * kCifarRecordBytes));
  for (size_t f = 0; f < names.size(); ++f) {
    read_cifar_batch((fs::path(folder) / names[f]).string(),
                     raw.data() + f * static_cast<size_t>(kCifarBatchBytes), kHowToGet);
  }
  auto records = torch::from_blob(raw.data(), {n, kCifarRecordBytes}, torch::kUInt8);
  ImageSet set;
  set.labels = records.select(1, 0).to(torch::kLong);
  set.images = records.slice(1, 1).reshape({n, 3, 32, 32}).clone();
  return set;
}

}  // namespace

ImageSet ImageSet::subset(const torch::Tensor& indices) const {
  return {images.index_select(0, indices), labels.index_select(0, indices)};
}

Split parse_split(const std::string& name) {
  if (name == "train") return Split::kTrain;
  if (name == "val") return Split::kValidation;
  if (name == "test") return Split::kTest;
  throw InputError("unknown split '" + name + "' (expected train, val or test)");
}

std::string split_name(Split split) {
  switch (split) {
    case Split::kTrain:
      return "train";
    case Split::kValidation:
      return "val";
    case Split::kTest:
      return "test";
  }
  return "?";
}

std::string locate_cifar10(const std::string& dir) {
  if (dir.empty())
    throw InputError(std::string("no CIFAR-10 folder given (--data DIR); ") + kHowToGet);
  if (!fs::is_directory(dir)) throw InputError(dir, std::string("no such folder; ") + kHowToGet);
  if (has_batches(dir)) return dir;
  const fs::path inner = fs::path(dir) / "cifar-10-batches-bin";
  if (has_batches(inner)) return inner.string();
  throw InputError(dir, std::string("holds no CIFAR-10 batch files; ") + kHowToGet);
}

std::vector<std::string> cifar10_files(const std::string& dir) {
  std::vector<std::string> files;
  std::string folder;
  try {
    folder = locate_cifar10(dir);
  } catch (const InputError&) {
    return files;
  }
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(folder, ec)) {
    if (e.is_regular_file(ec)) files.push_back(e.path().string());
  }
  return files;
}

void require_cifar10_outputs(int64_t outputs, const std::string& path) {
  if (outputs == kCifarClasses) return;
  throw InputError(path, "fc.weight",
                   "gives " + std::to_string(outputs) + " outputs, but CIFAR-10 has " +
                       std::to_string(kCifarClasses) +
                       " classes: evaluate a model with a 10-way classifier (e.g. torchvision's "
                       "resnet50(num_classes=10))");
}

std::vector<std::string> cifar10_class_names(const std::string& dir) {
  const std::string path = (fs::path(locate_cifar10(dir)) / "batches.meta.txt").string();
  std::ifstream in(path);
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) names.push_back(line);
  }
  if (names.size() != static_cast<size_t>(kCifarClasses)) {
    throw InputError(path, std::string("expected 10 class names, one per line; ") + kHowToGet);
  }
  return names;
}

std::vector<int64_t> validation_indices(const torch::Tensor& train_labels,
                                        int64_t validation_size) {
  const int64_t n = train_labels.size(0);
  if (validation_size < 0 || validation_size >= n || validation_size % kCifarClasses != 0) {
    throw InputError("--val-size must be a multiple of 10 between 0 and " + std::to_string(n - 10) +
                     ", got " + std::to_string(validation_size));
  }
  const int64_t per_class = validation_size / kCifarClasses;
  const auto labels = train_labels.accessor<int64_t, 1>();
  // Fisher-Yates with mt19937_64 and our own bounded draw: the same hold-out on every platform.
  std::mt19937_64 rng(kValidationSeed);
  std::vector<int64_t> chosen;
  for (int64_t c = 0; c < kCifarClasses; ++c) {
    std::vector<int64_t> members;
    for (int64_t i = 0; i < n; ++i) {
      if (labels[i] == c) members.push_back(i);
    }
    if (static_cast<int64_t>(members.size()) < per_class) {
      throw InputError("class " + std::to_string(c) + " has only " +
                       std::to_string(members.size()) + " training images, fewer than the " +
                       std::to_string(per_class) + " the validation split needs");
    }
    for (int64_t i = static_cast<int64_t>(members.size()) - 1; i > 0; --i) {
      const auto j = static_cast<int64_t>(rng() % static_cast<uint64_t>(i + 1));
      std::swap(members[static_cast<size_t>(i)], members[static_cast<size_t>(j)]);
    }
    chosen.insert(chosen.end(), members.begin(), members.begin() + per_class);
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

ImageSet load_cifar10(const CifarSource& source, Split split) {
  const std::string folder = locate_cifar10(source.dir);
  if (split == Split::kTest) return read_batch_files(folder, {"test_batch.bin"});
  ImageSet all =
      read_batch_files(folder, {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                "data_batch_4.bin", "data_batch_5.bin"});
  const auto held = validation_indices(all.labels, source.validation_size);
  std::vector<int64_t> keep;
  if (split == Split::kValidation) {
    keep = held;
  } else {
    std::vector<bool> is_held(static_cast<size_t>(all.size()), false);
    for (auto i : held) is_held[static_cast<size_t>(i)] = true;
    for (int64_t i = 0; i < all.size(); ++i) {
      if (!is_held[static_cast<size_t>(i)]) keep.push_back(i);
    }
    if (held.empty()) return all;
  }
  return all.subset(torch::tensor(keep, torch::kLong));
}

}  // namespace swa
