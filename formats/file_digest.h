// SHA-256 of a file's bytes, as lowercase hex: recorded for every input of an average.
#pragma once
#include <string>

namespace swa {

std::string sha256_file(const std::string& path);
}  // namespace swa
