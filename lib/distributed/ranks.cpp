#include "lib/distributed/ranks.h"

#define USE_C10D_GLOO 1  // Debian's LibTorch is built with Gloo; its header asks for this
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <cstdlib>
#include <thread>

#include "formats/input_error.h"
#include "lib/distributed/collectives.h"
#include "lib/distributed/peer_lost.h"

namespace swa {

struct Ranks::Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<Collectives> collectives;
  // Where the collectives' tensors live: host memory for Gloo, this rank's GPU for NCCL.
  torch::Device device = torch::kCPU;
};

namespace {

std::string first_line(const std::string& text) {
  const size_t end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

std::string seconds(std::chrono::milliseconds t) {
  return std::to_string(static_cast<int64_t>(t.count() / 1000)) + " s";
}

bool is_loopback(const std::string& address) {
  return address == "localhost" || address.rfind("127.", 0) == 0 || address == "::1";
}

}  // namespace

Ranks::Ranks(const RankEnvironment& env, const DistributedOptions& options)
    : rank_(env.rank),
      size_(env.world_size),
      local_rank_(env.local_rank),
      timeout_(static_cast<int64_t>(options.timeout_seconds * 1000)) {
  const bool nccl = options.backend == "nccl";
  if (nccl && !nccl_built()) {
    throw InputError(
        "--dist-backend nccl: this build has no NCCL (it needs a CUDA LibTorch; Debian's is "
        "CPU-only); use gloo, which also carries CUDA tensors (through host memory)");
  }
  if (nccl && !torch::cuda::is_available())
    throw InputError("--dist-backend nccl: no GPU is visible to this process (NCCL runs on GPUs)");
  if (!nccl && options.backend != "auto" && options.backend != "gloo")
    throw InputError("--dist-backend " + options.backend + ": expected auto, gloo or nccl");
  const std::string where = env.master_addr + ":" + std::to_string(env.master_port);
  const std::string me = "rank " + std::to_string(rank_) + " of " + std::to_string(size_);
  group_ = std::make_shared<Group>();
  c10d::TCPStoreOptions store_options;
  store_options.port = static_cast<uint16_t>(env.master_port);
  store_options.isServer = rank_ == 0;
  store_options.waitWorkers = false;  // arrivals are checked below, naming who is missing
  store_options.timeout = timeout_;
  try {
    group_->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, store_options);
  } catch (const std::exception& e) {
    if (rank_ == 0)
      throw PeerLost(me + ": cannot open the rendezvous at " + where + ": " + first_line(e.what()));
    throw PeerLost(me + ": no rendezvous at " + where + " within " + seconds(timeout_) +
                   ": rank 0 did not start, stopped, or cannot be reached (" +
                   first_line(e.what()) + ")");
  }
  // Every rank says it arrived; each waits for all the others, naming the missing ones.
  const std::string prefix = "swa/arrived/";
  group_->store->set(prefix + std::to_string(rank_), std::vector<uint8_t>{1});
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  for (;;) {
    std::vector<std::string> missing;
    try {
      for (int r = 0; r < size_; ++r) {
        if (!group_->store->check({prefix + std::to_string(r)}))
          missing.push_back(std::to_string(r));
      }
    } catch (const std::exception& e) {
      throw PeerLost(me + ": lost the rendezvous at " + where +
                     " (rank 0 stopped?): " + first_line(e.what()));
    }
    if (missing.empty()) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      std::string list;
      for (const auto& r : missing) list += (list.empty() ? "" : ", ") + r;
      throw PeerLost(me + ": rank" + (missing.size() > 1 ? "s " : " ") + list + " of " +
                     std::to_string(size_) + " did not arrive at " + where + " within " +
                     seconds(timeout_));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (nccl) {
    const auto gpu = static_cast<c10::DeviceIndex>(
        local_rank_ % std::max<int64_t>(1, static_cast<int64_t>(torch::cuda::device_count())));
    group_->device = torch::Device(torch::kCUDA, gpu);
    try {
      group_->collectives =
          nccl_collectives(c10::make_intrusive<c10d::PrefixStore>("nccl", group_->store), rank_,
                           size_, timeout_, gpu);
    } catch (const std::exception& e) {
      throw PeerLost(me + ": cannot start NCCL: " + first_line(e.what()));
    }
    return;
  }
  auto gloo_options = c10d::ProcessGroupGloo::Options::create(timeout_);
  const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
  if (interface && *interface) {
    gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(interface));
  } else if (is_loopback(env.master_addr)) {
    gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  } else {
    gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  }
  try {
    group_->collectives = c10::make_intrusive<c10d::ProcessGroupGloo>(
        c10::make_intrusive<c10d::PrefixStore>("gloo", group_->store), rank_, size_, gloo_options);
  } catch (const std::exception& e) {
    throw PeerLost(me + ": cannot connect to the other ranks: " + first_line(e.what()));
  }
}

torch::Device Ranks::local_device(torch::Device device) const {
  if (!several() || !device.is_cuda() || device.has_index()) return device;
  const int count = static_cast<int>(torch::cuda::device_count());
  return torch::Device(torch::kCUDA,
                       static_cast<c10::DeviceIndex>(local_rank_ % std::max(count, 1)));
}

Ranks& Ranks::process() {
  // Never destroyed: a ProcessGroupNCCL destroyed at exit, after the CUDA runtime has unloaded,
  // aborts the process ("driver shutting down", seen on an H200 with LibTorch 2.11); the system
  // frees the group's sockets and communicators when the process ends.
  static Ranks* const ranks = new Ranks();
  return *ranks;
}

Ranks& Ranks::join_from_environment(const DistributedOptions& options) {
  Ranks& ranks = process();
  if (ranks.grouped()) return ranks;
  if (const auto env = rank_environment(nullptr, /*group_of_one=*/options.backend != "auto"))
    ranks = Ranks(*env, options);
  return ranks;
}

PeerLost Ranks::lost_peer(const std::string& what, const std::string& detail) const {
  const std::string me =
      "rank " + std::to_string(rank_) + " of " + std::to_string(size_) + ": " + what + ": ";
  const std::string why = " (" + first_line(detail) + "); its own message says why";
  std::vector<int> missing;
  try {
    const std::string prefix = "swa/survived/";
    group_->store->set(prefix + std::to_string(rank_), std::vector<uint8_t>{1});
    const auto deadline = std::chrono::steady_clock::now() +
                          std::min<std::chrono::milliseconds>(timeout_, std::chrono::seconds(3));
    do {
      missing.clear();
      for (int r = 0; r < size_; ++r) {
        if (!group_->store->check({prefix + std::to_string(r)})) missing.push_back(r);
      }
      if (missing.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (std::chrono::steady_clock::now() < deadline);
  } catch (const std::exception&) {
    if (rank_ != 0) return PeerLost(me + "rank 0 stopped (the rendezvous it serves is gone)" + why);
  }
  if (missing.empty()) {
    return PeerLost(me + "another rank stopped, or did not answer within " + seconds(timeout_) +
                    why);
  }
  std::string list;
  for (const int r : missing) list += (list.empty() ? "" : ", ") + std::to_string(r);
  return PeerLost(me + "rank" + (missing.size() > 1 ? "s " : " ") + list + " stopped, or " +
                  (missing.size() > 1 ? "hang" : "hangs") + " (no answer within " +
                  seconds(timeout_) + ")" + why);
}

namespace {

// Runs collectives on copies of `tensors` where the backend wants them (`device`: host memory or
// this rank's GPU), started together, then awaited, then copies the results back; errors become
// PeerLost naming the step and the lost ranks.
template <typename Start>
void run_collective(std::vector<torch::Tensor>& tensors, const torch::Device& device,
                    const Ranks& ranks, const std::string& what, Start start) {
  std::vector<torch::Tensor> staged;
  staged.reserve(tensors.size());
  for (const auto& t : tensors) staged.push_back(t.to(device).contiguous().clone());
  try {
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    for (auto& t : staged) {
      std::vector<torch::Tensor> one{t};
      works.push_back(start(one));
    }
    for (auto& work : works) work->wait();
  } catch (const std::exception& e) {
    throw ranks.lost_peer(what, e.what());
  }
  torch::NoGradGuard no_grad;  // parameters are filled in place
  for (size_t i = 0; i < tensors.size(); ++i) tensors[i].copy_(staged[i]);
}

}  // namespace

void Ranks::sum(std::vector<torch::Tensor>& tensors, const std::string& what) const {
  if (!grouped()) return;
  run_collective(tensors, group_->device, *this, what, [&](std::vector<torch::Tensor>& one) {
    return group_->collectives->allreduce(one);
  });
}

void Ranks::maximum(std::vector<torch::Tensor>& tensors, const std::string& what) const {
  if (!grouped()) return;
  c10d::AllreduceOptions options;
  options.reduceOp = c10d::ReduceOp::MAX;
  run_collective(tensors, group_->device, *this, what, [&](std::vector<torch::Tensor>& one) {
    return group_->collectives->allreduce(one, options);
  });
}

void Ranks::broadcast(std::vector<torch::Tensor>& tensors, const std::string& what) const {
  if (!grouped()) return;
  run_collective(tensors, group_->device, *this, what, [&](std::vector<torch::Tensor>& one) {
    return group_->collectives->broadcast(one);
  });
}

int64_t Ranks::broadcast(int64_t value, const std::string& what) const {
  if (!grouped()) return value;
  std::vector<torch::Tensor> one{torch::tensor({value}, torch::kLong)};
  broadcast(one, what);
  return one.front().item<int64_t>();
}

int64_t Ranks::rank_0_decides(const std::string& what,
                              const std::function<int64_t()>& decide) const {
  if (!grouped()) return decide();
  return broadcast(leads() ? decide() : 0, what);
}

std::function<void()> Ranks::start_sum(torch::Tensor host, const std::string& what) const {
  if (!grouped()) return [] {};
  const bool staged = group_->device != host.device();  // NCCL: summed on the GPU
  std::vector<torch::Tensor> one{staged ? host.to(group_->device) : host};
  c10::intrusive_ptr<c10d::Work> work;
  try {
    work = group_->collectives->allreduce(one);
  } catch (const std::exception& e) {
    throw lost_peer(what, e.what());
  }
  return [this, work, what, host, staged, summed = one.front()]() mutable {
    try {
      work->wait();
    } catch (const std::exception& e) {
      throw lost_peer(what, e.what());
    }
    if (staged) host.copy_(summed);
  };
}

torch::Tensor Ranks::assemble_rows(const std::vector<std::pair<int64_t, torch::Tensor>>& parts,
                                   int64_t total, int64_t columns, const std::string& what) const {
  torch::Tensor rows = torch::zeros({total, columns});
  for (const auto& [begin, part] : parts) rows.slice(0, begin, begin + part.size(0)).copy_(part);
  if (!grouped()) return rows;
  std::vector<torch::Tensor> shared{rows};
  sum(shared, what);
  return rows;
}

}  // namespace swa
