// Streaming passes and forward passes allocate and free buffers of a few MB thousands of times
// (HDF5 chunk buffers, activations). glibc would map and unmap each one, and every fresh page then
// costs a page fault: on virtual machines that alone can double the run time. This keeps such
// buffers on the heap for reuse.
#pragma once

namespace swa {

void reuse_freed_buffers();

}  // namespace swa
