// The HDF5 read path: HDF5's open and our chunk map, pread and fletcher32 over it.
#include "fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = swa::fuzz::input_file(data, size, ".h5");
  swa::fuzz::read_everything(path, size, /*may_compress=*/true);
  return 0;
}
