#include "lib/distributed/rank_environment.h"

#include <cerrno>
#include <cstdlib>

#include "formats/input_error.h"

namespace swa {
namespace {

int parse_int(const char* name, const char* text, long low, long high) {
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < low || value > high) {
    throw InputError("environment variable " + std::string(name) + "=" + text +
                     ": expected a whole number from " + std::to_string(low) + " to " +
                     std::to_string(high));
  }
  return static_cast<int>(value);
}

}  // namespace

std::string first_slurm_host(const std::string& nodelist) {
  const size_t comma = nodelist.find(',');
  const size_t bracket = nodelist.find('[');
  if (bracket == std::string::npos || (comma != std::string::npos && comma < bracket))
    return nodelist.substr(0, comma);
  // prefix[03-05,9]suffix: the prefix and the first number of the range as written (zero padding
  // kept)
  const std::string prefix = nodelist.substr(0, bracket);
  const size_t end = nodelist.find_first_of("-,]", bracket + 1);
  return prefix + nodelist.substr(bracket + 1,
                                  end == std::string::npos ? std::string::npos : end - bracket - 1);
}

std::optional<RankEnvironment> rank_environment(const EnvironmentLookup& lookup_or_null,
                                                bool group_of_one) {
  const EnvironmentLookup lookup =
      lookup_or_null ? lookup_or_null : [](const char* name) { return std::getenv(name); };
  auto get = [&](const char* name) -> const char* {
    const char* value = lookup(name);
    return value && *value ? value : nullptr;
  };
  RankEnvironment env;
  constexpr long kMaxRanks = 1 << 20;
  if (get("WORLD_SIZE") || get("RANK")) {
    if (!get("WORLD_SIZE") || !get("RANK"))
      throw InputError(
          "the environment sets one of RANK and WORLD_SIZE without the other "
          "(torchrun and swa-launch set both)");
    env.launcher = "torchrun";
    env.world_size = parse_int("WORLD_SIZE", get("WORLD_SIZE"), 1, kMaxRanks);
    env.rank = parse_int("RANK", get("RANK"), 0, env.world_size - 1);
    env.local_rank =
        get("LOCAL_RANK") ? parse_int("LOCAL_RANK", get("LOCAL_RANK"), 0, kMaxRanks) : env.rank;
    if (env.world_size == 1 && !group_of_one) return std::nullopt;
    if (!get("MASTER_ADDR") || !get("MASTER_PORT"))
      throw InputError("WORLD_SIZE=" + std::to_string(env.world_size) +
                       " but MASTER_ADDR or MASTER_PORT is not set: where rank 0 listens");
    env.master_addr = get("MASTER_ADDR");
    env.master_port = parse_int("MASTER_PORT", get("MASTER_PORT"), 1, 65535);
    return env;
  }
  if (get("SLURM_NTASKS") && get("SLURM_PROCID")) {
    env.launcher = "SLURM";
    env.world_size = parse_int("SLURM_NTASKS", get("SLURM_NTASKS"), 1, kMaxRanks);
    if (env.world_size == 1 && !group_of_one) return std::nullopt;
    env.rank = parse_int("SLURM_PROCID", get("SLURM_PROCID"), 0, env.world_size - 1);
    env.local_rank =
        get("SLURM_LOCALID") ? parse_int("SLURM_LOCALID", get("SLURM_LOCALID"), 0, kMaxRanks) : 0;
    const char* nodes =
        get("SLURM_JOB_NODELIST") ? get("SLURM_JOB_NODELIST") : get("SLURM_NODELIST");
    if (get("MASTER_ADDR")) {
      env.master_addr = get("MASTER_ADDR");
    } else if (nodes) {
      env.master_addr = first_slurm_host(nodes);
    } else {
      throw InputError("SLURM_NTASKS=" + std::to_string(env.world_size) +
                       " but neither MASTER_ADDR nor SLURM_JOB_NODELIST says where rank 0 runs");
    }
    if (get("MASTER_PORT")) {
      env.master_port = parse_int("MASTER_PORT", get("MASTER_PORT"), 1, 65535);
    } else if (get("SLURM_JOB_ID")) {
      env.master_port = 29500 + parse_int("SLURM_JOB_ID", get("SLURM_JOB_ID"), 0, 1 << 30) % 1000;
    }
    return env;
  }
  return std::nullopt;
}

}  // namespace swa
