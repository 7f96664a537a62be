// A YAML document as a plain tree, built from yaml-cpp's parser events, and the typing of its
// scalars by YAML 1.2's core schema (so `pr: 42` is a number and `pr: "42"` a string). yaml-cpp's
// own node tree costs as much again as the parse itself on big files (100,000 tasks); this one
// keeps only what validation reads: shape, text, quoting and positions. Nesting is limited (100
// levels of maps and lists) and aliases may not expand past 1,000,000 nodes.
#pragma once

#include <yaml-cpp/mark.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gk::loader {

using YAML::Mark;

struct Entry;
struct Node {
  enum class Type : uint8_t { null, scalar, list, map };
  Type type = Type::null;
  bool quoted = false;  // quoted or !!str: a string whatever it looks like
  Mark mark;
  std::string text;            // scalars
  std::vector<Node> items;     // lists
  std::vector<Entry> entries;  // maps, in file order

  bool is_null() const { return type == Type::null; }
  bool is_scalar() const { return type == Type::scalar; }
  bool is_list() const { return type == Type::list; }
  bool is_map() const { return type == Type::map; }
  std::size_t size() const { return type == Type::map ? entries.size() : items.size(); }
};
struct Entry {
  Node key;
  Node value;
};

// Parses the first document of `text`. Throws YAML::Exception (which carries the position).
Node parse_yaml(const std::string &text);

enum class Kind { null, boolean, integer, number, string, map, list };

// What a node is, by the core schema ("42" quoted is a string, 42 an integer).
Kind kind_of(const Node &n);
// "a string 'x'", "an integer 5", "a list": what was found, for "expected X, found Y".
std::string found(const Node &n);
bool all_digits(std::string_view s, bool hex = false);
// An integer as YAML writes it (decimal, 0x hex, 0o octal); nullopt past int64.
std::optional<int64_t> parse_int(std::string_view s);
// 's' in quotes, cut to 60 characters, for messages.
std::string quoted(std::string_view s);

}  // namespace gk::loader
