#include "tools/common/shared_options.h"

#include <fstream>
#include <iostream>

#include "formats/atomic_output.h"
#include "formats/input_error.h"

namespace swa {

void add_threads_option(CLI::App& app, int& threads) {
  app.add_option("--threads", threads, "Compute threads (0: all cores)")
      ->default_val(0)
      ->check(CLI::NonNegativeNumber);
}

void add_json_option(CLI::App& app, std::string& target) {
  app.add_option("--json", target, "Write machine-readable JSON to FILE, or '-' for stdout");
}

void emit_json(const nlohmann::json& doc, const std::string& target) {
  if (target == "-") {
    std::cout << doc.dump(2) << std::endl;
    return;
  }
  AtomicOutput out(target);
  {
    std::ofstream f(out.temp_path());
    f << doc.dump(2) << "\n";
    f.close();
    if (!f) throw InputError(target, "cannot write JSON output");
  }
  out.commit();
}

}  // namespace swa
