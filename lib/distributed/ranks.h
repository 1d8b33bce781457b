// The processes a tool runs on: one (rank 0 of 1) unless the environment says more
// (rank_environment.h: torchrun, swa-launch, SLURM), then a c10d process group joined through a
// TCPStore rendezvous at MASTER_ADDR:MASTER_PORT, with Gloo collectives (--dist-backend auto or
// gloo: CPU tensors; CUDA tensors travel through host memory) or NCCL's (--dist-backend nccl, in
// CUDA builds: each rank on its GPU, LOCAL_RANK modulo the GPUs there are). A backend asked for by
// name with WORLD_SIZE=1 makes a group of one, whose collectives run through it (a check that
// the backend works). Rank 0 prints and writes; every rank computes its share.
//
// Failures never hang: a rank that does not arrive within the timeout, or stops while the others
// wait on a collective, makes every other rank throw PeerLost (exit code 5) naming the rank or the
// step.
#pragma once
#include <torch/torch.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/distributed/peer_lost.h"
#include "lib/distributed/rank_environment.h"

namespace swa {

class Ranks {
 public:
  // A single process.
  Ranks() = default;
  // Joins the group `env` describes (blocking until every rank arrived, or the timeout).
  Ranks(const RankEnvironment& env, const DistributedOptions& options);

  // The process's ranks: a single process until join_from_environment().
  static Ranks& process();
  // Makes the process join the group the environment describes, once; without one nothing
  // happens. Returns process().
  static Ranks& join_from_environment(const DistributedOptions& options);
  // `given`, or process() when null.
  static const Ranks& of(const Ranks* given) { return given ? *given : process(); }

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool several() const { return size_ > 1; }
  // In a group (of one or more): the collectives below run through its backend; otherwise they
  // return at once.
  bool grouped() const { return group_ != nullptr; }
  bool leads() const { return rank_ == 0; }  // prints summaries, writes outputs
  // The error for a collective `what` that failed with `detail`: every surviving rank reports
  // through the rendezvous store, and those that do not within a few seconds are named (the store
  // lives in rank 0: when it is gone, rank 0 is).
  PeerLost lost_peer(const std::string& what, const std::string& detail) const;
  // `device`, or with several ranks and a CUDA device without an index, the GPU of this local
  // rank (LOCAL_RANK modulo the GPUs there are).
  torch::Device local_device(torch::Device device) const;
  // Work split by batch: batch b belongs to rank b % size (a single process owns all).
  bool owns_batch(int64_t b) const { return b % size_ == rank_; }

  // Collectives; every rank calls them in the same order. `what` names the step in messages.
  // Sums in place over ranks.
  void sum(std::vector<torch::Tensor>& tensors, const std::string& what) const;
  // The largest value over ranks, in place.
  void maximum(std::vector<torch::Tensor>& tensors, const std::string& what) const;
  // Rank 0's values, in place.
  void broadcast(std::vector<torch::Tensor>& tensors, const std::string& what) const;
  int64_t broadcast(int64_t value, const std::string& what) const;
  // A choice made once for all: `decide` runs on rank 0 (on a single process, there), the others
  // take its result.
  int64_t rank_0_decides(const std::string& what, const std::function<int64_t()>& decide) const;
  // Starts summing `host` (a contiguous CPU tensor, kept alive by the caller) in place, in the
  // background; the returned function waits for it (throwing PeerLost). Calls start in the same
  // order on every rank.
  std::function<void()> start_sum(torch::Tensor host, const std::string& what) const;
  // The rows [begin, begin + rows) each rank computed (on any device), in a [total, columns]
  // float32 CPU tensor every rank ends with: the rows in place, zeros elsewhere, summed over ranks
  // (exact). A single process has them all.
  torch::Tensor assemble_rows(const std::vector<std::pair<int64_t, torch::Tensor>>& parts,
                              int64_t total, int64_t columns, const std::string& what) const;

 private:
  struct Group;
  int rank_ = 0;
  int size_ = 1;
  int local_rank_ = 0;
  std::chrono::milliseconds timeout_{0};
  std::shared_ptr<Group> group_;
};

}  // namespace swa
