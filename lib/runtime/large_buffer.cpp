#include "lib/runtime/large_buffer.h"

#include <sys/mman.h>

#include <new>

namespace swa {
namespace {
constexpr size_t kHugePage = size_t{2} << 20;
}

LargeBuffer::LargeBuffer(size_t bytes) : size_(bytes) {
  if (bytes == 0) return;
  mapped_ = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  void* p = ::mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  ::madvise(p, mapped_, MADV_HUGEPAGE);  // a hint: without huge pages it is an ordinary mapping
#endif
  data_ = p;
}

LargeBuffer::~LargeBuffer() {
  if (data_) ::munmap(data_, mapped_);
}

}  // namespace swa
