// The CIFAR-10 batch check, on raw bytes.
#include <cstdint>

#include "formats/cifar_batch_file.h"
#include "formats/input_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    swa::check_cifar_batch(data, size, "fuzz.bin");
  } catch (const swa::InputError&) {
  }
  return 0;
}
