// swa-launch: N ranks of a swa tool on this machine, for users without torchrun.
#include "lib/distributed/local_launch.h"
#include "tools/common/number_checks.h"
#include "tools/common/run_tool.h"

int main(int argc, char** argv) {
  CLI::App app{
      "Run N ranks of a swa tool on this machine (torchrun --no-python for users without "
      "PyTorch).",
      "swa-launch"};
  app.footer(R"(Examples:
  swa-launch --nproc 2 swa-eval swa-bn.pt --data cifar10/
  swa-launch --nproc 4 swa-bn swa.h5 --data cifar10/ -o swa-bn.h5
  torchrun --no-python --nproc-per-node 4 swa-bn swa.h5 --data cifar10/ -o swa-bn.h5   # the same

Each rank gets RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT, as
under torchrun. A tool name without a '/' is looked up beside swa-launch, then on PATH. SIGINT,
SIGTERM and SIGHUP are passed on to every rank. When a rank fails the others get SIGTERM, then
SIGKILL after --grace seconds; the exit code is the first failing rank's (128 + N for signal N).)");
  swa::LocalLaunch launch;
  app.add_option("--nproc", launch.processes, "Number of ranks")
      ->required()
      ->check(swa::between(1, 1024));
  app.add_option("--master-port", launch.master_port, "Rendezvous port (default: a free one)")
      ->check(swa::between(1, 65535));
  app.add_option("--grace", launch.grace_seconds,
                 "Seconds between SIGTERM and SIGKILL for the ranks left after a failure")
      ->capture_default_str()
      ->check(swa::at_least(0));
  app.add_flag("!--no-announce", launch.announce, "Say nothing but the ranks' own output");
  std::string tool;
  app.add_option("tool", tool,
                 "The tool (swa-train, swa-bn, swa-eval, swa-report) and its arguments")
      ->required();
  app.prefix_command();
  return swa::run_tool(app, argc, argv, [&] {
    launch.command.push_back(tool);
    for (const auto& arg : app.remaining()) launch.command.push_back(arg);
    return swa::launch_local_ranks(launch);
  });
}
