#include "formats/atomic_output.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "formats/input_error.h"

namespace swa {
namespace fs = std::filesystem;

void require_writable_folder(const std::string& path) {
  fs::path folder = fs::path(path).parent_path();
  if (folder.empty()) folder = ".";
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    throw InputError(path, "output folder '" + folder.string() + "' does not exist");
  }
  if (::access(folder.c_str(), W_OK) != 0) {
    throw InputError(path, "output folder '" + folder.string() + "' is not writable");
  }
}

AtomicOutput::AtomicOutput(const std::string& final_path) : final_path_(final_path) {
  require_writable_folder(final_path);
  // mkstemp picks a unique name and creates the file atomically, in the destination folder so
  // that the final rename stays on one file system.
  fs::path p(final_path);
  std::string temp = (p.parent_path() / ("." + p.filename().string() + ".tmp-XXXXXX")).string();
  int fd = ::mkstemp(temp.data());
  if (fd < 0)
    throw InputError(final_path,
                     std::string("cannot create a temporary file: ") + std::strerror(errno));
  ::close(fd);
  temp_path_ = temp;
}

AtomicOutput::~AtomicOutput() {
  if (!committed_) std::remove(temp_path_.c_str());
}

void AtomicOutput::commit() {
  int fd = ::open(temp_path_.c_str(), O_RDONLY);
  if (fd < 0 || ::fsync(fd) != 0) {
    int err = errno;
    if (fd >= 0) ::close(fd);
    throw InputError(final_path_,
                     std::string("cannot flush output to disk: ") + std::strerror(err));
  }
  ::close(fd);
  if (std::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    throw InputError(final_path_, std::string("cannot rename temporary output into place: ") +
                                      std::strerror(errno));
  }
  committed_ = true;
}

}  // namespace swa

namespace swa {

void write_file_atomically(const std::string& path, const std::string& text) {
  AtomicOutput out(path);
  {
    std::ofstream f(out.temp_path(), std::ios::binary);
    f << text;
    f.close();
    if (!f) throw InputError(path, "cannot write (disk full?)");
  }
  out.commit();
}

}  // namespace swa
