#include "formats/hdf5_library.h"

#include <algorithm>
#include <vector>

namespace swa {
namespace {

// HDF5 closes what is still open from an atexit handler; after a write that failed (a full disk)
// its file state is half torn down and that handler crashes. Every file we open is closed by its
// owner, so the handler is not needed. Must run before the library initialises: a static.
const bool kNoHdf5AtExit = [] {
  H5dont_atexit();
  return true;
}();

// One line of an HDF5 error description. The file driver's message packs the whole failed
// request into one string ("file write failed: time = ..., errno = 28, error message = 'No space
// left on device', buf = ..."): of that, the system's message is what a person needs.
std::string readable_hdf5_message(const std::string& desc) {
  const std::string marker = "error message = '";
  const auto at = desc.find(marker);
  if (at != std::string::npos) {
    const auto start = at + marker.size();
    const auto end = desc.find('\'', start);
    if (end != std::string::npos) return desc.substr(start, end - start);
  }
  return desc.substr(0, desc.find('\n'));
}

}  // namespace

void silence_hdf5_errors() {
  (void)kNoHdf5AtExit;
  static bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

std::string hdf5_error_text() {
  std::vector<std::string> messages;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned, const H5E_error2_t* err, void* out) -> herr_t {
        auto* list = static_cast<std::vector<std::string>*>(out);
        if (!err->desc || !*err->desc) return 0;
        const std::string message = readable_hdf5_message(err->desc);
        if (std::find(list->begin(), list->end(), message) == list->end()) {
          list->push_back(message);
        }
        return 0;
      },
      &messages);
  H5Eclear2(H5E_DEFAULT);
  if (messages.empty()) return "unknown HDF5 error";
  std::string text;
  for (size_t i = 0; i < messages.size() && i < 3; ++i) text += (i ? "; " : "") + messages[i];
  return text;
}

std::mutex& hdf5_lock() {
  static std::mutex m;
  return m;
}

Hid utf8_string_type() {
  Hid type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  return type;
}

}  // namespace swa
