// Gradients summed over ranks during the backward pass, as DDP's Reducer does it: parameters in
// reverse order (the order backward produces their gradients) packed into buckets of about
// `bucket_bytes`; a hook on each parameter copies its gradient into its bucket, and a bucket
// whose gradients are all in is summed in the background (Gloo) while backward goes on. Buckets
// start in the same order on every rank. finish() waits for the sums and writes them into .grad.
//
// Not the Reducer itself: torch's C++ Reducer is built for Python's DDP module (it takes
// autograd hooks and Python-side bucket assignment), so the same scheme is written here on
// c10d's allreduce, about 100 lines.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <vector>

#include "lib/distributed/ranks.h"

namespace swa {

class GradientReducer {
 public:
  static constexpr int64_t kBucketBytes = 25 << 20;      // DDP's bucket_cap_mb=25
  static constexpr int64_t kFirstBucketBytes = 1 << 20;  // DDP's first bucket: starts early

  GradientReducer(const std::vector<torch::Tensor>& parameters, const Ranks& ranks,
                  int64_t bucket_bytes = kBucketBytes);
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // Sums the gradients of the backward pass that follows. Nothing is summed outside prepare() ..
  // finish() (validation, a single process).
  void prepare();
  // Waits for every bucket (starting those whose parameters had no gradient, as zeros) and sets
  // each parameter's .grad to the sum over ranks.
  void finish();

  // Seconds finish() spent waiting for sums backward did not hide, since the last call.
  double take_wait_seconds();

 private:
  struct Bucket {
    std::vector<int64_t> parameters;  // indices into parameters_
    std::vector<int64_t> offsets;     // where each starts in `flat`
    torch::Tensor flat;               // float32 on the CPU
    int64_t pending = 0;
    std::function<void()> wait;  // set once started
  };
  void on_gradient(int64_t parameter, const torch::Tensor& grad);
  void start_ready_buckets();

  std::vector<torch::Tensor> parameters_;
  const Ranks& ranks_;
  std::vector<Bucket> buckets_;
  std::vector<int64_t> bucket_of_, slot_of_;  // per parameter: its bucket, its place there
  size_t next_to_start_ = 0;
  bool armed_ = false;
  double wait_seconds_ = 0;
};

}  // namespace swa
