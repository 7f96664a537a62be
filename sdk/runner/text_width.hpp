// Text as a terminal shows it: how many columns a character takes, and a line cut to a width by
// whole characters, so the live view never wraps a line (which would break redrawing in place)
// nor cuts a UTF-8 character in half.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gk::runner {

// Columns of one code point: 0 for combining marks, 2 for wide ones (CJK, most emoji), -1 for
// control characters.
int columns_of(char32_t c);

// text cut to at most `columns` columns. Control characters (newlines, tabs, escapes) become
// spaces, so the text cannot move the cursor; bytes that are not UTF-8 become '?'.
std::string fit_columns(std::string_view text, size_t columns);

}  // namespace gk::runner
