#include "core/ids.hpp"

#include <cstdio>

namespace gk {
namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_id_char(char c) {
  return is_alnum(c) || c == '_' || c == '.' || c == '-';
}

// Ids come from user input: show control and non-ASCII bytes escaped, never raw.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    }
  }
  return out;
}

// Ids become parts of git branch names (gk/<goal>/<task>), and git refuses a part that holds
// "..", ends with "." or ends with ".lock" (git check-ref-format).
std::string_view ref_name_problem(std::string_view id) {
  if (id.find("..") != std::string_view::npos) return "it holds '..'";
  if (id.ends_with(".lock")) return "it ends with '.lock'";
  if (id.ends_with(".")) return "it ends with '.'";
  return {};
}

}  // namespace

bool is_valid_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength || !is_alnum(id[0])) return false;
  for (char c : id) {
    if (!is_id_char(c)) return false;
  }
  return ref_name_problem(id).empty();
}

std::string id_error(std::string_view id) {
  static constexpr const char *kRule =
      "ids are letters, digits, '_', '.' and '-', starting with a letter or digit";
  if (id.empty()) return "invalid id: it is empty (" + std::string(kRule) + ")";
  std::string head = "invalid id '" + printable(id.substr(0, 80)) + (id.size() > 80 ? "...'" : "'");
  if (id.size() > kMaxIdLength) {
    return head + ": " + std::to_string(id.size()) + " characters, at most " +
           std::to_string(kMaxIdLength) + " allowed";
  }
  if (!is_alnum(id[0])) {
    return head + ": it starts with '" + printable(id.substr(0, 1)) + "' (" + kRule + ")";
  }
  for (std::size_t i = 0; i < id.size(); ++i) {
    if (!is_id_char(id[i])) {
      return head + ": '" + printable(id.substr(i, 1)) + "' at position " + std::to_string(i + 1) +
             " is not allowed (" + kRule + ")";
    }
  }
  if (std::string_view why = ref_name_problem(id); !why.empty())
    return head + ": " + std::string(why) +
           ", which git does not allow in a branch name (ids name the gk/<goal>/<task> branches)";
  return {};
}

}  // namespace gk
