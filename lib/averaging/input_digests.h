// The SHA-256 of every input of an average, for the output's provenance.
#pragma once
#include <string>
#include <vector>

#include "formats/digest_cache.h"

namespace swa {

// The digests of `paths` (in their order): from `cache` for unchanged files, the others
// computed by up to `threads` threads, one file each, and recorded in `cache`.
std::vector<std::string> input_digests(const std::vector<std::string>& paths, int threads,
                                       const DigestCache& cache = DigestCache(""));

}  // namespace swa
