// --help as every tool prints it: option descriptions wrapped at 100 columns (CLI11 2.1 leaves
// them on one line however long), continuation lines under the description column.
#pragma once
#include <CLI/CLI.hpp>
#include <string>

namespace swa {

constexpr size_t kHelpColumns = 100;

class WrappedHelpFormatter : public CLI::Formatter {
 public:
  std::string make_option_desc(const CLI::Option* opt) const override;
};

// `text` broken at spaces into lines of at most `width` characters (a longer word stays whole).
std::string wrap_words(const std::string& text, size_t width);

}  // namespace swa
