// The data-only unpickler and state-dict discovery on bare pickle bytes (a .pt's data.pkl, or a
// legacy file's pickles).
#include <cstdint>
#include <string>

#include "formats/input_error.h"
#include "formats/restricted_unpickler.h"
#include "formats/torch_checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  swa::PickleDocument doc;
  try {
    const auto result =
        swa::unpickle(reinterpret_cast<const char*>(data), size, doc, "fuzz.pt", "data.pkl");
    if (result.consumed > size) __builtin_trap();
    if (result.value) (void)swa::find_state_dict(*result.value, "", "fuzz.pt");
  } catch (const swa::InputError&) {
  }
  return 0;
}
