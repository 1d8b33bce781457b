// The .pt reader: zip container (minizip), data-only unpickler, state-dict discovery, CRC-32.
#include "fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = swa::fuzz::input_file(data, size, ".pt");
  swa::fuzz::read_everything(path, size, /*may_compress=*/true);  // zip entries may be deflated
  return 0;
}
