#include "goal_text.hpp"

#include <algorithm>

#include "cli.hpp"
#include "layout.hpp"

namespace gk::runner {

std::string read_goal_text(const std::string &file) {
  std::string text;
  try {
    text = read_file(file);
  } catch (const std::exception &e) {
    throw UsageError(std::string("cannot read the goal file: ") + e.what());
  }
  const size_t nul = text.find('\0');
  if (nul == std::string::npos) return text;
  const auto line = std::count(text.begin(), text.begin() + static_cast<long>(nul), '\n') + 1;
  const size_t line_start = nul == 0 ? 0 : text.rfind('\n', nul - 1);
  const size_t column = line_start == std::string::npos || nul == 0 ? nul + 1 : nul - line_start;
  throw UsageError(file + ":" + std::to_string(line) + ":" + std::to_string(column) +
                   ": the file holds a NUL byte: it is not a text file (or it is UTF-16; save it "
                   "as UTF-8)");
}

}  // namespace gk::runner
