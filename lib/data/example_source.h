// One interface for the data a model is run on: the examples a BatchNorm pass or an evaluation
// reads, batch by batch, in order. Each source turns its own storage into the model's input
// (float32, normalised as the source defines); the tools recognise the kind from what is on disk
// (lib/data/open_example_source.h). Members: CIFAR-10's binary folders (cifar10_examples.h) and
// tensor files (tensor_file_examples.h); image folders join later.
#pragma once
#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

namespace swa {

struct ExampleBatch {
  torch::Tensor inputs;  // float32 [B, ...] on the CPU, ready for the model
  torch::Tensor labels;  // int64 [B]; undefined when the source has none
};

class ExampleSource {
 public:
  virtual ~ExampleSource() = default;
  // What it is, said once on stderr: "tensor file x.safetensors: inputs float32 [N, 3, 32, 32],
  // labels int64 [N]".
  virtual std::string description() const = 0;
  // Every file it reads (what formats/output_guard.h checks outputs against).
  virtual std::vector<std::string> files() const = 0;
  virtual int64_t size() const = 0;
  virtual bool has_labels() const = 0;
  // Examples [begin, end). `augment`: the source's training augmentation, drawn from it (null:
  // none). Throws InputError naming the file (and tensor) when the stored bytes cannot be read.
  virtual ExampleBatch batch(int64_t begin, int64_t end, at::Generator* augment) const = 0;
  // Whether batch() has an augmentation to apply.
  virtual bool augments() const { return false; }
  // Takes the augmentation's draws for [begin, end) without reading them: the batches another
  // rank runs, so every rank draws as one process does.
  virtual void skip(int64_t /*begin*/, int64_t /*end*/, at::Generator* /*augment*/) const {}
  // Labels [begin, end) alone (int64). Throws InputError when the source has none.
  virtual torch::Tensor labels(int64_t begin, int64_t end) const = 0;
  // Class names in label order, when the source knows them.
  virtual std::vector<std::string> class_names() const { return {}; }
  // Throws InputError naming the source unless every label is below `classes` (the model's
  // output width).
  virtual void require_labels_below(int64_t classes) const = 0;
};

}  // namespace swa
