#include "tools/common/help_format.h"

#include <sstream>

namespace swa {

std::string wrap_words(const std::string& text, size_t width) {
  std::istringstream words(text);
  std::string word, line, out;
  while (words >> word) {
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  return out + line;
}

std::string WrappedHelpFormatter::make_option_desc(const CLI::Option* opt) const {
  const size_t width =
      kHelpColumns > get_column_width() + 20 ? kHelpColumns - get_column_width() : 20;
  return wrap_words(CLI::Formatter::make_option_desc(opt), width);
}

}  // namespace swa
