#include "lib/distributed/local_launch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "formats/input_error.h"
#include "lib/runtime/signals.h"

namespace swa {
namespace {

volatile sig_atomic_t g_received_signal = 0;

extern "C" void remember_signal(int signal) { g_received_signal = signal; }

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("cannot find a free port on 127.0.0.1: " + why);
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

// How a rank ended, as a shell reports it: the exit code, or 128 + the signal.
int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

std::string how_it_ended(int status) {
  if (WIFSIGNALED(status)) return "was ended by " + signal_name(WTERMSIG(status));
  return "exited with code " + std::to_string(exit_code_of(status));
}

[[noreturn]] void exec_rank(const LocalLaunch& launch, int rank, int port,
                            const std::string& program) {
  ::setenv("RANK", std::to_string(rank).c_str(), 1);
  ::setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
  ::setenv("WORLD_SIZE", std::to_string(launch.processes).c_str(), 1);
  ::setenv("LOCAL_WORLD_SIZE", std::to_string(launch.processes).c_str(), 1);
  ::setenv("GROUP_RANK", "0", 1);
  ::setenv("MASTER_ADDR", launch.master_addr.c_str(), 1);
  ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (size_t i = 1; i < launch.command.size(); ++i)
    argv.push_back(const_cast<char*>(launch.command[i].c_str()));
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());
  std::fprintf(stderr, "swa-launch: cannot run %s: %s\n", program.c_str(), std::strerror(errno));
  ::_exit(127);
}

}  // namespace

std::string resolve_beside_self(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto beside = self.parent_path() / name;
    if (::access(beside.c_str(), X_OK) == 0) return beside.string();
  }
  return name;
}

int launch_local_ranks(const LocalLaunch& launch) {
  if (launch.processes < 1) throw InputError("--nproc must be at least 1");
  if (launch.command.empty()) throw InputError("no command to launch");
  const int port = launch.master_port > 0 ? launch.master_port : free_loopback_port();
  const std::string program = resolve_beside_self(launch.command.front());

  // Signals to pass on are caught from here on; children get the default dispositions back.
  struct sigaction action {};
  action.sa_handler = remember_signal;
  sigemptyset(&action.sa_mask);
  for (const int s : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(s, &action, nullptr);

  std::vector<pid_t> pids(launch.processes, -1);
  for (int rank = 0; rank < launch.processes; ++rank) {
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
      for (const int s : {SIGINT, SIGTERM, SIGHUP}) ::signal(s, SIG_DFL);
      exec_rank(launch, rank, port, program);
    }
    pids[rank] = pid;
  }
  if (launch.announce) {
    std::fprintf(stderr, "swa-launch: %d ranks of %s, rendezvous at %s:%d\n", launch.processes,
                 program.c_str(), launch.master_addr.c_str(), port);
  }

  int running = launch.processes;
  int result = 0;
  bool stopping = false;
  int forwarded = 0;
  std::chrono::steady_clock::time_point kill_at{};
  auto stop_the_rest = [&](int signal) {
    for (const pid_t pid : pids)
      if (pid > 0) ::kill(pid, signal);
  };
  while (running > 0) {
    if (g_received_signal != 0 && forwarded != g_received_signal) {
      forwarded = g_received_signal;
      stop_the_rest(forwarded);
      if (result == 0) result = 128 + forwarded;
      if (!stopping) {
        stopping = true;
        kill_at = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<int64_t>(launch.grace_seconds * 1000));
      }
    }
    if (stopping && std::chrono::steady_clock::now() >= kill_at) {
      stop_the_rest(SIGKILL);
      kill_at = std::chrono::steady_clock::time_point::max();
    }
    int status = 0;
    const pid_t done = ::waitpid(-1, &status, WNOHANG);
    if (done < 0 && errno != EINTR) break;
    if (done <= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    int rank = 0;
    while (rank < launch.processes && pids[rank] != done) ++rank;
    if (rank == launch.processes) continue;
    pids[rank] = -1;
    --running;
    const int code = exit_code_of(status);
    if (code == 0 || stopping) continue;
    // The first failure: name it, stop the others.
    result = code;
    stopping = true;
    if (launch.announce && running > 0) {
      const std::string others =
          running == 1 ? "the other rank" : "the other " + std::to_string(running) + " ranks";
      std::fprintf(stderr, "swa-launch: rank %d (pid %d) %s; stopping %s\n", rank,
                   static_cast<int>(done), how_it_ended(status).c_str(), others.c_str());
    } else if (launch.announce) {
      std::fprintf(stderr, "swa-launch: rank %d (pid %d) %s\n", rank, static_cast<int>(done),
                   how_it_ended(status).c_str());
    }
    stop_the_rest(SIGTERM);
    kill_at = std::chrono::steady_clock::now() +
              std::chrono::milliseconds(static_cast<int64_t>(launch.grace_seconds * 1000));
  }
  return result;
}

}  // namespace swa
