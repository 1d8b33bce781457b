// Starts N ranks of a command on this machine, as torchrun --nproc-per-node N --no-python does
// for users without PyTorch: each rank gets RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
// MASTER_ADDR and MASTER_PORT (a free loopback port unless given). SIGINT, SIGTERM and SIGHUP are
// passed on to every rank. When a rank fails (non-zero exit, or killed by a signal) the others are
// sent SIGTERM, then SIGKILL after a grace period, so a job never hangs on a dead rank. Torch-free.
#pragma once
#include <string>
#include <vector>

namespace swa {

struct LocalLaunch {
  int processes = 1;
  std::vector<std::string> command;  // a tool name beside swa-launch, or on PATH, then its args
  std::string master_addr = "127.0.0.1";
  int master_port = 0;        // 0: a free port, found by binding port 0
  double grace_seconds = 10;  // between SIGTERM and SIGKILL for the ranks left after a failure
  bool announce = true;       // "swa-launch: rank 1 ..." lines on stderr
};

// The program `name` resolves to: a file of that name in the folder of this executable (the
// build or install folder holds every swa tool), else `name` itself for execvp's PATH lookup.
std::string resolve_beside_self(const std::string& name);

// Runs the ranks to the end; returns 0 when every rank exits 0, else the first failing rank's
// exit code (128 + N for a rank ended by signal N), or 128 + N when swa-launch itself was asked
// to stop by signal N.
int launch_local_ranks(const LocalLaunch& launch);

}  // namespace swa
