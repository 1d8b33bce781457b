#include "formats/input_error.h"

namespace swa {

InputError::InputError(const std::string& file, const std::string& what)
    : std::runtime_error(file + ": " + what) {}

InputError::InputError(const std::string& file, const std::string& tensor, const std::string& what)
    : std::runtime_error(file + ": tensor '" + tensor + "': " + what) {}

}  // namespace swa
