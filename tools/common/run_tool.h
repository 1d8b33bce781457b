// The one place where tools turn exceptions into messages and exit codes:
//   0 ok, 1 bad input (InputError), 3 a quality gate failed, 4 internal error, 5 another rank of a
//   distributed run was lost or never arrived (PeerLost, lib/distributed/peer_lost.h);
//   CLI11's own codes (100-127) for usage errors; 128 + N after signal N (SIGINT: 130), whether
//   the tool stopped at a safe point (swa-train) or was ended by it.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <stdexcept>
#include <string>

namespace swa {

constexpr int kExitOk = 0;
constexpr int kExitBadInput = 1;
constexpr int kExitGateFailed = 3;
constexpr int kExitInternal = 4;

// Parses argv into `app`, then runs `body`; returns the process exit code.
int run_tool(CLI::App& app, int argc, char** argv, const std::function<int()>& body);

}  // namespace swa
