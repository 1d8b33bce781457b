// Flags every tool spells the same way, defined once.
#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

namespace swa {

// --threads N (default 0: all cores).
void add_threads_option(CLI::App& app, int& threads);
// --json FILE|- : machine-readable output ('-' is stdout).
void add_json_option(CLI::App& app, std::string& target);
// Writes `doc` to stdout ('-') or atomically to a file.
void emit_json(const nlohmann::json& doc, const std::string& target);

}  // namespace swa
