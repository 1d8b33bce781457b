#include "lib/runtime/buffer_reuse.h"

#include <malloc.h>

namespace swa {

void reuse_freed_buffers() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's maximum: blocks up to 32 MiB come from the heap
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

}  // namespace swa
