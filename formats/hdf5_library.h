// HDF5's C library as the HDF5 files of formats/ use it (internal to formats/): identifiers that
// close themselves, the error stack turned into one readable sentence (HDF5's own printing
// silenced), and the one lock every call takes. The C API is used directly: it reports failures
// as return codes plus an error stack, where the C++ wrapper prints stacks and loses the detail.
#pragma once
#include <hdf5.h>

#include <mutex>
#include <string>

namespace swa {

// Owns one HDF5 identifier and closes it with the matching function.
class Hid {
 public:
  Hid() = default;
  Hid(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Hid(Hid&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = -1; }
  Hid& operator=(Hid&& o) noexcept {
    reset();
    id_ = o.id_;
    close_ = o.close_;
    o.id_ = -1;
    return *this;
  }
  ~Hid() { reset(); }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  herr_t close() {
    herr_t r = id_ >= 0 ? close_(id_) : 0;
    id_ = -1;
    return r;
  }

 private:
  void reset() {
    if (id_ >= 0) close_(id_);
    id_ = -1;
  }
  hid_t id_ = -1;
  herr_t (*close_)(hid_t) = nullptr;
};

// The innermost (most specific) messages of HDF5's current error stack, e.g. "data error
// detected by Fletcher32 checksum"; the stack is cleared.
std::string hdf5_error_text();
// Silences HDF5's automatic stack printing once per process; errors are reported by us.
void silence_hdf5_errors();
// HDF5 is not thread-safe in Debian's serial build: every library call that may run while
// reader threads are active takes this lock.
std::mutex& hdf5_lock();
// A variable-length UTF-8 string type (attributes, string datasets).
Hid utf8_string_type();

}  // namespace swa
