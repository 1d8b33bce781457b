// Where the tools remember things between runs (file digests, the measured inference engine):
// $SWA_CACHE_DIR, else ${XDG_CACHE_HOME:-~/.cache}/swa. Empty when none of those is set.
#pragma once
#include <string>

namespace swa {

std::string cache_folder();

}  // namespace swa
