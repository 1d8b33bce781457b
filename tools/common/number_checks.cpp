#include "tools/common/number_checks.h"

#include <cstdio>
#include <limits>
#include <string>

namespace swa {

namespace {

std::string shown(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

// `accepts` says whether a value is in range; `wanted` says what is, for the message.
template <typename Accepts>
CLI::Validator number_check(Accepts accepts, const std::string& wanted,
                            const std::string& type_name) {
  return CLI::Validator(
      [accepts, wanted](std::string& input) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(input, value))
          return "must be a number, got '" + input + "'";
        if (!accepts(value)) return "must be " + wanted + ", got " + input;
        return "";
      },
      type_name);
}

}  // namespace

CLI::Validator at_least(double least) {
  const std::string name = least == 0   ? "NONNEGATIVE"
                           : least == 1 ? "POSITIVE"
                                        : "AT LEAST " + shown(least);
  return number_check([least](double v) { return v >= least; }, "at least " + shown(least), name);
}

CLI::Validator more_than(double bound) {
  return number_check([bound](double v) { return v > bound; }, "more than " + shown(bound),
                      bound == 0 ? "POSITIVE" : "MORE THAN " + shown(bound));
}

CLI::Validator between(double least, double most) {
  return number_check([least, most](double v) { return v >= least && v <= most; },
                      "between " + shown(least) + " and " + shown(most),
                      "in [" + shown(least) + ", " + shown(most) + "]");
}

}  // namespace swa
