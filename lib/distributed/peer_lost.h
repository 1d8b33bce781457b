// A distributed run that cannot go on: a rank never arrived at the rendezvous, or stopped (or was
// killed) while the others waited for it. Tools map it to exit code 5. Torch-free.
#pragma once
#include <stdexcept>
#include <string>

namespace swa {

constexpr int kExitPeerLost = 5;

class PeerLost : public std::runtime_error {
 public:
  explicit PeerLost(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace swa
