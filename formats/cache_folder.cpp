#include "formats/cache_folder.h"

#include <cstdlib>

namespace swa {

std::string cache_folder() {
  if (const char* dir = std::getenv("SWA_CACHE_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return std::string(xdg) + "/swa";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.cache/swa";
  return "";
}

}  // namespace swa
