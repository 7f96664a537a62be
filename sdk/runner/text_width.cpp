#include "text_width.hpp"

#include <locale.h>
#include <wchar.h>

#include <cstdio>

namespace gk::runner {

namespace {

// wcwidth answers for the calling thread's LC_CTYPE; the runner never sets a locale, so it asks
// under C.UTF-8 (built into glibc) whatever the process's locale is.
locale_t utf8_locale() {
  static const locale_t locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
  return locale;
}

// The code point at text[i] and its length in bytes; length 1 and U+FFFD for a byte that does not
// start a well-formed UTF-8 sequence.
char32_t decode(std::string_view text, size_t i, size_t &length) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b = byte(i);
  length = 1;
  if (b < 0x80) return b;
  size_t n = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 && b <= 0xdf ? 2 : 0;
  if (b >= 0xf5) n = 0;
  if (n == 0 || i + n > text.size()) return 0xfffd;
  char32_t c = b & (0xff >> (n + 1));
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0xfffd;
    c = (c << 6) | (byte(i + k) & 0x3f);
  }
  // Overlong forms, surrogates and what lies beyond Unicode are not UTF-8.
  static const char32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < least[n] || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff) return 0xfffd;
  length = n;
  return c;
}

}  // namespace

int columns_of(char32_t c) {
  if (c < 0x80) return c >= 0x20 && c != 0x7f ? 1 : -1;
  if (c >= 0x80 && c < 0xa0) return -1;
  const locale_t locale = utf8_locale();
  if (locale == static_cast<locale_t>(0)) return 1;
  const locale_t previous = uselocale(locale);
  const int width = wcwidth(static_cast<wchar_t>(c));
  uselocale(previous);
  return width;
}

std::string fit_columns(std::string_view text, size_t columns) {
  std::string out;
  size_t used = 0;
  for (size_t i = 0; i < text.size();) {
    size_t length = 1;
    const char32_t c = decode(text, i, length);
    std::string_view shown = text.substr(i, length);
    int width = c == 0xfffd && length == 1 ? 1 : columns_of(c);
    if (c == 0xfffd && length == 1) shown = "?";
    if (width < 0) {
      shown = " ";
      width = 1;
    }
    if (used + static_cast<size_t>(width) > columns) break;
    out += shown;
    used += static_cast<size_t>(width);
    i += length;
  }
  return out;
}

namespace {

std::string escaped(std::string_view text, bool keep_newlines) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t length = 1;
    const char32_t c = decode(text, i, length);
    if (c == 0xfffd && length == 1) {
      out += "\xef\xbf\xbd";  // U+FFFD for a byte that is not UTF-8
    } else if (c == '\n' && keep_newlines) {
      out += '\n';
    } else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
      char buf[8];
      if (c == '\n')
        out += "\\n";
      else if (c == '\r')
        out += "\\r";
      else if (c == '\t')
        out += "\\t";
      else if (c == 0x1b)
        out += "\\e";
      else {
        std::snprintf(buf, sizeof buf, c < 0x80 ? "\\x%02x" : "\\u%04x", static_cast<unsigned>(c));
        out += buf;
      }
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  return out;
}

}  // namespace

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t length = 1;
    const char32_t c = decode(text, i, length);
    if (c == 0xfffd && length == 1)
      out += "\xef\xbf\xbd";
    else
      out.append(text.substr(i, length));
    i += length;
  }
  return out;
}

std::string shown(std::string_view text) {
  return escaped(text, false);
}

std::string shown_lines(std::string_view text) {
  return escaped(text, true);
}

}  // namespace gk::runner
