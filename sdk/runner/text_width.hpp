// Text as a terminal shows it: how many columns a character takes, and a line cut to a width by
// whole characters, so the live view never wraps a line (which would break redrawing in place)
// nor cuts a UTF-8 character in half. And text from elsewhere (a job's summary, a goal file's
// title, GitHub) made safe to print: a terminal must never take it for its own controls (a title
// that sets the window's name, clears the screen, or returns the cursor to forge a line).
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

// text as valid UTF-8: each byte that does not start a well-formed character becomes U+FFFD.
std::string valid_utf8(std::string_view text);

// One field of a line for people: valid UTF-8 with every control character visible as an
// escape: \n, \r, \t, \e (ESC), \x07 for other C0 bytes and DEL, \u009b for C1 characters.
std::string shown(std::string_view text);

// The same for text we laid out in lines ourselves: newlines stay, everything else is shown.
std::string shown_lines(std::string_view text);

}  // namespace gk::runner
