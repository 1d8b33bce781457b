// Which rank of how many this process is, as the launcher says in the environment: torchrun's
// variables first, then SLURM's. Torch-free.
//
//   torchrun (and swa-launch): RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT.
//   SLURM (srun): SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID. The address rule: MASTER_ADDR if set,
//   else the first host of SLURM_JOB_NODELIST (SLURM_NODELIST); the port MASTER_PORT if set, else
//   29500 + SLURM_JOB_ID % 1000 (two jobs sharing a node get different ports).
#pragma once
#include <functional>
#include <optional>
#include <string>

namespace swa {

struct RankEnvironment {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr;
  int master_port = 29500;
  std::string launcher;  // "torchrun" or "SLURM": whose variables these were
};

// How a tool joins the others: --dist-backend and --dist-timeout.
struct DistributedOptions {
  std::string backend = "auto";  // auto (Gloo), gloo or nccl (CUDA builds; refused elsewhere)
  double timeout_seconds = 300;  // the rendezvous, and each collective
};

// Reads variables through `lookup` (std::getenv by default). None when neither torchrun's nor
// SLURM's variables ask for more than one process: a single process changes nothing, unless
// `group_of_one` (a backend asked for by name: the one process joins a group of its own, and its
// collectives run through that backend). Inconsistent values (RANK >= WORLD_SIZE, not a number,
// a port out of range) throw InputError.
using EnvironmentLookup = std::function<const char*(const char*)>;
std::optional<RankEnvironment> rank_environment(const EnvironmentLookup& lookup = nullptr,
                                                bool group_of_one = false);

// "node[03-05,9],gpu7" -> "node03"; "a,b" -> "a"; "host" -> "host".
std::string first_slurm_host(const std::string& nodelist);

}  // namespace swa
