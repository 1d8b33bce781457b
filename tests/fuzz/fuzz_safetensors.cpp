// The safetensors reader: the 8-byte length, the JSON header and its layout checks.
#include "fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = swa::fuzz::input_file(data, size, ".safetensors");
  swa::fuzz::read_everything(path, size, /*may_compress=*/false);
  return 0;
}
