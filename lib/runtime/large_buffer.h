// An uninitialised buffer of many megabytes, backed by huge pages where the kernel allows:
// on a virtual machine every 4 KiB page fault is expensive, and a float64 accumulator for the
// largest ResNet-50 tensor alone is 19 MB. Torch-free.
#pragma once
#include <cstddef>

namespace swa {

class LargeBuffer {
 public:
  explicit LargeBuffer(size_t bytes);
  ~LargeBuffer();
  LargeBuffer(const LargeBuffer&) = delete;
  LargeBuffer& operator=(const LargeBuffer&) = delete;

  template <typename T>
  T* as() const {
    return static_cast<T*>(data_);
  }
  size_t size() const { return size_; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
  size_t mapped_ = 0;
};

}  // namespace swa
