// Checks of numeric flags with messages a person reads: "--batch-size: must be at least 1, got 0"
// rather than CLI11's own (its PositiveNumber says "Value 0 not in range 0.000000 to 1797…",
// 300 digits long).
#pragma once
#include <CLI/CLI.hpp>

namespace swa {

// A number >= `least` (e.g. 0 for counts where 0 means "all", 1 for batch sizes).
CLI::Validator at_least(double least);
// A number > `bound` (e.g. 0 for a timeout in seconds).
CLI::Validator more_than(double bound);
// A number in [least, most].
CLI::Validator between(double least, double most);

}  // namespace swa
