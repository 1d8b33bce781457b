#include "tools/common/run_tool.h"

#include <iostream>

#include "formats/input_error.h"
#include "formats/readable_file.h"
#include "lib/distributed/peer_lost.h"
#include "lib/runtime/buffer_reuse.h"
#include "lib/runtime/signals.h"
#include "tools/common/help_format.h"

namespace swa {

int run_tool(CLI::App& app, int argc, char** argv, const std::function<int()>& body) {
  app.formatter(std::make_shared<WrappedHelpFormatter>());
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  const std::string name = app.get_name();
  reuse_freed_buffers();    // every tool: forward passes and streamed reads free and reallocate
                            // MB-sized buffers
  end_on_signals();         // Ctrl-C or SIGTERM: temporary files removed, nothing half-written
  raise_open_file_limit();  // an average keeps every input open
  try {
    return body();
  } catch (const Interrupted& e) {
    std::cerr << name << ": " << e.what() << "\n";
    return 128 + e.signal();
  } catch (const PeerLost& e) {
    std::cerr << name << ": error: " << e.what() << "\n";
    return kExitPeerLost;
  } catch (const InputError& e) {
    std::cerr << name << ": error: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << name << ": internal error: " << e.what() << "\n";
    return kExitInternal;
  }
}

}  // namespace swa
