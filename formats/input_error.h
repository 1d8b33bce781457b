// Bad input (a file, a tensor, a flag): the user can act on it. Tools map it to exit code 1.
// Messages name the file and the tensor at fault, then say what was expected.
#pragma once
#include <stdexcept>
#include <string>

namespace swa {

class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message) : std::runtime_error(message) {}
  // "FILE: what"
  InputError(const std::string& file, const std::string& what);
  // "FILE: tensor 'KEY': what"
  InputError(const std::string& file, const std::string& tensor, const std::string& what);
};

}  // namespace swa
