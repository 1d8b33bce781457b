// What a tool does when it is asked to stop (Ctrl-C, SIGTERM from a CI runner or a scheduler).
//   end_on_signals():  SIGINT, SIGTERM and SIGHUP remove every temporary output file
//                      (formats/atomic_output.h) and end the process with that signal, so the
//                      shell sees 130/143 and nothing half-written remains. SIGXFSZ is ignored so
//                      a file-size limit is a write error naming the file, not a silent death.
//   stop_at_safe_points(): for long jobs that can stop cleanly (swa-train): the first SIGINT or
//                      SIGTERM only sets a flag the job polls with stop_requested() and answers by
//                      throwing Interrupted; a second one ends the process as above.
// Signals the process inherited as ignored (nohup's SIGHUP) stay ignored.
#pragma once
#include <stdexcept>
#include <string>

namespace swa {

void end_on_signals();
void stop_at_safe_points();

// The signal received since stop_at_safe_points(), or 0.
int stop_requested();

// Thrown by a job at a safe point after a stop was requested; run_tool prints its message and
// exits with 128 + the signal's number.
class Interrupted : public std::runtime_error {
 public:
  Interrupted(int signal, const std::string& what) : std::runtime_error(what), signal_(signal) {}
  int signal() const { return signal_; }

 private:
  int signal_;
};

// "SIGINT", "SIGTERM", ... for messages.
std::string signal_name(int signal);

}  // namespace swa
