#include "lib/runtime/signals.h"

#include <signal.h>

#include <atomic>

#include "formats/atomic_output.h"

namespace swa {
namespace {

constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP};
std::atomic<int> requested{0};

void end_now(int signal) {
  if (defer_signal_during_group_commit(signal)) return;
  remove_temporary_outputs();
  ::signal(signal, SIG_DFL);
  ::raise(signal);
}

void request_stop(int signal) {
  int none = 0;
  if (!requested.compare_exchange_strong(none, signal)) end_now(signal);  // asked twice
}

void install(int signal, void (*handler)(int)) {
  struct sigaction old {};
  if (::sigaction(signal, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) return;
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  ::sigaction(signal, &action, nullptr);
}

}  // namespace

void end_on_signals() {
  for (int s : kStopSignals) install(s, end_now);
  ::signal(SIGXFSZ, SIG_IGN);
}

void stop_at_safe_points() {
  install(SIGINT, request_stop);
  install(SIGTERM, request_stop);
}

int stop_requested() { return requested.load(); }

std::string signal_name(int signal) {
  switch (signal) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
  }
  return "signal " + std::to_string(signal);
}

}  // namespace swa
