// The SHA-256 of every input of an average, for the output's provenance.
#pragma once
#include <string>
#include <vector>

#include "formats/digest_cache.h"
#include "formats/file_identity.h"

namespace swa {

// The digests of `paths` (in their order) as they were when opened (`opened`, parallel): from
// `cache` where it knows that very file state, the others computed by up to `threads` threads,
// one file each, and recorded in `cache` only when the file was still in that state after
// hashing. (A file changed meanwhile gets the digest of whatever was read; its reader's
// check_unchanged() then refuses the whole average.)
std::vector<std::string> input_digests(const std::vector<std::string>& paths,
                                       const std::vector<FileIdentity>& opened, int threads,
                                       const DigestCache& cache = DigestCache(""));

}  // namespace swa
