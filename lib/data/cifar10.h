// CIFAR-10 in its official binary layout: a folder with data_batch_1..5.bin, test_batch.bin and
// batches.meta.txt, either directly or inside cifar-10-batches-bin/ (as the official
// cifar-10-binary.tar.gz unpacks). A whole split lives in memory as one uint8 tensor.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace swa {

constexpr int64_t kCifarClasses = 10;
constexpr int64_t kCifarTrainImages = 50000;  // data_batch_1..5.bin
constexpr int64_t kDefaultValidationSize = 5000;
// Fixed, so every tool holds out the same validation images.
constexpr uint64_t kValidationSeed = 0x5fa5fa;

struct ImageSet {
  torch::Tensor images;  // uint8 [N, 3, 32, 32]
  torch::Tensor labels;  // int64 [N]
  int64_t size() const { return labels.size(0); }
  ImageSet subset(const torch::Tensor& indices) const;
};

enum class Split { kTrain, kValidation, kTest };
Split parse_split(const std::string& name);  // train | val | test
std::string split_name(Split split);

struct CifarSource {
  std::string dir;                                   // as given with --data
  int64_t validation_size = kDefaultValidationSize;  // held out of the training files
};

// The folder that holds the .bin files (dir itself or dir/cifar-10-batches-bin).
// Throws InputError that says what was expected and how to get the data.
std::string locate_cifar10(const std::string& dir);
// Every file of that folder (what a tool reading --data may read: formats/output_guard.h checks
// outputs against them); none when `dir` is no CIFAR-10 folder (loading it says why later).
std::vector<std::string> cifar10_files(const std::string& dir);

// Throws InputError naming `path` unless a model with `outputs` logits (fc.weight's rows) can be
// scored on CIFAR-10: one per class, no more and no fewer.
void require_cifar10_outputs(int64_t outputs, const std::string& path);

// The class names from batches.meta.txt (airplane, automobile, ...).
std::vector<std::string> cifar10_class_names(const std::string& dir);

// A split: train = training files minus the validation hold-out, val = the hold-out (stratified:
// validation_size / 10 images per class, chosen with kValidationSeed), test = test_batch.bin.
// Images keep the files' order. Throws InputError naming the file on a wrong size or a label
// outside 0-9.
ImageSet load_cifar10(const CifarSource& source, Split split);

// Indices of the validation hold-out within the 50,000 training images, sorted.
std::vector<int64_t> validation_indices(const torch::Tensor& train_labels, int64_t validation_size);

}  // namespace swa
