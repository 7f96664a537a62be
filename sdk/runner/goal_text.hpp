// Reading a goal file for gk_load, which takes a NUL-terminated string: a NUL byte inside the
// file would silently cut it there (and a file that starts with one would look empty), so such a
// file is refused here, with its line and column, the way the plugin reports its own errors.
#pragma once

#include <string>

namespace gk::runner {

// The file's text. Throws UsageError: "cannot read the goal file: ..." or
// "FILE:LINE:COLUMN: the file holds a NUL byte ...".
std::string read_goal_text(const std::string &file);

}  // namespace gk::runner
