// How a tool learns that it is one rank of several: torchrun's variables, then SLURM's.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "formats/input_error.h"
#include "lib/distributed/rank_environment.h"

namespace {

using Variables = std::map<std::string, std::string>;

std::optional<swa::RankEnvironment> read(const Variables& variables, bool group_of_one = false) {
  return swa::rank_environment(
      [&](const char* name) -> const char* {
        const auto it = variables.find(name);
        return it == variables.end() ? nullptr : it->second.c_str();
      },
      group_of_one);
}

}  // namespace

TEST_CASE("without a launcher's variables a tool is a single process", "[distributed]") {
  CHECK_FALSE(read({}).has_value());
  CHECK_FALSE(read({{"RANK", "0"}, {"WORLD_SIZE", "1"}}).has_value());
  CHECK_FALSE(read({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "1"}}).has_value());
}

TEST_CASE("a backend named with WORLD_SIZE=1 makes a group of one (to check the backend)",
          "[distributed]") {
  const auto one = read(
      {{"RANK", "0"}, {"WORLD_SIZE", "1"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "29512"}},
      /*group_of_one=*/true);
  REQUIRE(one.has_value());
  CHECK(one->world_size == 1);
  CHECK(one->master_port == 29512);
  CHECK_FALSE(read({}, /*group_of_one=*/true).has_value());  // no launcher: no group
  CHECK_THROWS_AS(read({{"RANK", "0"}, {"WORLD_SIZE", "1"}}, true), swa::InputError);  // where?
}

TEST_CASE("torchrun's variables give rank, world size, local rank and the rendezvous",
          "[distributed]") {
  const auto env = read({{"RANK", "3"},
                         {"WORLD_SIZE", "4"},
                         {"LOCAL_RANK", "1"},
                         {"MASTER_ADDR", "node7"},
                         {"MASTER_PORT", "29511"}});
  REQUIRE(env.has_value());
  CHECK(env->rank == 3);
  CHECK(env->world_size == 4);
  CHECK(env->local_rank == 1);
  CHECK(env->master_addr == "node7");
  CHECK(env->master_port == 29511);
  CHECK(env->launcher == "torchrun");
}

TEST_CASE("torchrun's variables win over SLURM's", "[distributed]") {
  const auto env = read({{"RANK", "1"},
                         {"WORLD_SIZE", "2"},
                         {"MASTER_ADDR", "a"},
                         {"MASTER_PORT", "1234"},
                         {"SLURM_PROCID", "5"},
                         {"SLURM_NTASKS", "8"}});
  REQUIRE(env.has_value());
  CHECK(env->launcher == "torchrun");
  CHECK(env->rank == 1);
}

TEST_CASE("SLURM: rank 0 listens on the first host of the job's node list", "[distributed]") {
  const auto env = read({{"SLURM_PROCID", "5"},
                         {"SLURM_NTASKS", "8"},
                         {"SLURM_LOCALID", "1"},
                         {"SLURM_JOB_NODELIST", "gpu[07-10,12],cpu3"},
                         {"SLURM_JOB_ID", "123456"}});
  REQUIRE(env.has_value());
  CHECK(env->launcher == "SLURM");
  CHECK(env->rank == 5);
  CHECK(env->world_size == 8);
  CHECK(env->local_rank == 1);
  CHECK(env->master_addr == "gpu07");
  CHECK(env->master_port == 29500 + 456);
}

TEST_CASE("SLURM: MASTER_ADDR and MASTER_PORT override the rule", "[distributed]") {
  const auto env = read({{"SLURM_PROCID", "0"},
                         {"SLURM_NTASKS", "2"},
                         {"SLURM_JOB_NODELIST", "n1"},
                         {"MASTER_ADDR", "10.0.0.5"},
                         {"MASTER_PORT", "4000"}});
  REQUIRE(env.has_value());
  CHECK(env->master_addr == "10.0.0.5");
  CHECK(env->master_port == 4000);
}

TEST_CASE("the first host of a SLURM node list", "[distributed]") {
  CHECK(swa::first_slurm_host("node[03-05,9],gpu7") == "node03");
  CHECK(swa::first_slurm_host("a,b[1-2]") == "a");
  CHECK(swa::first_slurm_host("host") == "host");
  CHECK(swa::first_slurm_host("rack1-n[2,4]") == "rack1-n2");
}

TEST_CASE("inconsistent variables are refused with the variable's name", "[distributed]") {
  using Catch::Matchers::Contains;
  CHECK_THROWS_WITH(read({{"RANK", "2"}, {"WORLD_SIZE", "2"}}), Contains("RANK=2"));
  CHECK_THROWS_WITH(read({{"RANK", "x"}, {"WORLD_SIZE", "2"}}), Contains("RANK=x"));
  CHECK_THROWS_WITH(read({{"RANK", "0"}}), Contains("without the other"));
  CHECK_THROWS_WITH(read({{"RANK", "0"}, {"WORLD_SIZE", "2"}}), Contains("MASTER_ADDR"));
  CHECK_THROWS_WITH(
      read({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "70000"}}),
      Contains("MASTER_PORT=70000"));
  CHECK_THROWS_AS(read({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}}), swa::InputError);
}
