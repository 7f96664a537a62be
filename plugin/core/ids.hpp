// Ids name goals and tasks. They end up in paths, branch names and job keys, so they are checked
// once, at load time, against one narrow alphabet.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gk {

inline constexpr std::size_t kMaxIdLength = 64;

// [A-Za-z0-9][A-Za-z0-9_.-]*, at most kMaxIdLength characters, and a valid part of a git branch
// name: no "..", not ending with "." or ".lock".
bool is_valid_id(std::string_view id);

// Why `id` is not valid, as "invalid id 'a b': ' ' at position 2 is not allowed (...)";
// empty when it is valid.
std::string id_error(std::string_view id);

}  // namespace gk
