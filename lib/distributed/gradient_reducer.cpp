#include "lib/distributed/gradient_reducer.h"

#include <chrono>

namespace swa {

GradientReducer::GradientReducer(const std::vector<torch::Tensor>& parameters, const Ranks& ranks,
                                 int64_t bucket_bytes)
    : parameters_(parameters),
      ranks_(ranks),
      bucket_of_(parameters.size(), -1),
      slot_of_(parameters.size(), -1) {
  if (!ranks_.grouped()) return;
  int64_t capacity = std::min(kFirstBucketBytes, bucket_bytes);
  Bucket current;
  int64_t size = 0;
  auto close = [&] {
    if (current.parameters.empty()) return;
    current.flat = torch::zeros({size});
    buckets_.push_back(std::move(current));
    current = Bucket{};
    size = 0;
    capacity = bucket_bytes;
  };
  for (int64_t i = static_cast<int64_t>(parameters_.size()) - 1; i >= 0; --i) {
    if (!parameters_[i].requires_grad()) continue;
    current.parameters.push_back(i);
    current.offsets.push_back(size);
    bucket_of_[i] = static_cast<int64_t>(buckets_.size());
    slot_of_[i] = static_cast<int64_t>(current.parameters.size()) - 1;
    size += parameters_[i].numel();
    if (size * static_cast<int64_t>(sizeof(float)) >= capacity) close();
  }
  close();
  for (size_t i = 0; i < parameters_.size(); ++i) {
    if (bucket_of_[i] < 0) continue;
    const int64_t index = static_cast<int64_t>(i);
    parameters_[i].register_hook([this, index](torch::Tensor grad) { on_gradient(index, grad); });
  }
}

void GradientReducer::prepare() {
  if (!ranks_.grouped()) return;
  for (auto& bucket : buckets_) {
    bucket.pending = static_cast<int64_t>(bucket.parameters.size());
    bucket.wait = nullptr;
    bucket.flat.zero_();
  }
  next_to_start_ = 0;
  armed_ = true;
}

void GradientReducer::on_gradient(int64_t parameter, const torch::Tensor& grad) {
  if (!armed_) return;
  Bucket& bucket = buckets_[bucket_of_[parameter]];
  const int64_t slot = slot_of_[parameter];
  const int64_t numel = parameters_[parameter].numel();
  bucket.flat.slice(0, bucket.offsets[slot], bucket.offsets[slot] + numel)
      .copy_(grad.detach().reshape({-1}));
  if (--bucket.pending == 0) start_ready_buckets();
}

void GradientReducer::start_ready_buckets() {
  while (next_to_start_ < buckets_.size() && buckets_[next_to_start_].pending == 0) {
    Bucket& bucket = buckets_[next_to_start_++];
    bucket.wait = ranks_.start_sum(bucket.flat, "summing gradients");
  }
}

void GradientReducer::finish() {
  if (!ranks_.grouped()) return;
  armed_ = false;
  const auto start = std::chrono::steady_clock::now();
  for (auto& bucket : buckets_) bucket.pending = 0;  // no gradient: zeros, as DDP's unused ones
  start_ready_buckets();
  for (auto& bucket : buckets_) {
    bucket.wait();
    for (size_t slot = 0; slot < bucket.parameters.size(); ++slot) {
      torch::Tensor& p = parameters_[bucket.parameters[slot]];
      const torch::Tensor sum =
          bucket.flat.slice(0, bucket.offsets[slot], bucket.offsets[slot] + p.numel())
              .view(p.sizes());
      if (p.grad().defined()) {
        p.mutable_grad().copy_(sum);
      } else {
        p.mutable_grad() = sum.to(p.options()).clone();
      }
    }
  }
  wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double GradientReducer::take_wait_seconds() {
  const double s = wait_seconds_;
  wait_seconds_ = 0;
  return s;
}

}  // namespace swa
