#include "lib/data/cifar10_examples.h"

#include "formats/input_error.h"
#include "lib/data/image_batches.h"

namespace swa {
namespace {

class Cifar10Examples : public ExampleSource {
 public:
  Cifar10Examples(const CifarSource& source, Split split, ImageSet images)
      : source_(source), split_(split), images_(std::move(images)) {}

  std::string description() const override {
    return "CIFAR-10 binary folder " + source_.dir + ": " + split_name(split_) + " split, " +
           std::to_string(size()) + " images";
  }
  std::vector<std::string> files() const override { return cifar10_files(source_.dir); }
  int64_t size() const override { return images_.size(); }
  bool has_labels() const override { return true; }
  bool augments() const override { return true; }
  std::vector<std::string> class_names() const override { return cifar10_class_names(source_.dir); }

  ExampleBatch batch(int64_t begin, int64_t end, at::Generator* augment) const override {
    torch::Tensor images = images_.images.slice(0, begin, end);
    if (augment) images = augment_crop_flip(images, *augment);
    return {normalize_cifar(images), images_.labels.slice(0, begin, end)};
  }

  void skip(int64_t begin, int64_t end, at::Generator* augment) const override {
    if (augment) draw_crop_flip(end - begin, *augment, torch::kCPU);
  }
  torch::Tensor labels(int64_t begin, int64_t end) const override {
    return images_.labels.slice(0, begin, end);
  }

  void require_labels_below(int64_t classes) const override {
    if (classes < kCifarClasses) {
      throw InputError(source_.dir, "CIFAR-10 has " + std::to_string(kCifarClasses) +
                                        " classes; the model has " + std::to_string(classes) +
                                        " outputs");
    }
  }

 private:
  CifarSource source_;
  Split split_;
  ImageSet images_;
};

}  // namespace

std::unique_ptr<ExampleSource> open_cifar10_examples(const CifarSource& source, Split split,
                                                     int64_t samples, uint64_t seed) {
  ImageSet images = load_cifar10(source, split);
  if (samples > 0) images = images.subset(seeded_subset(images.size(), samples, seed));
  return std::make_unique<Cifar10Examples>(source, split, std::move(images));
}

}  // namespace swa
