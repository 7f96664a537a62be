#include "core/yaml_tree.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <charconv>
#include <sstream>
#include <unordered_map>

namespace gk::loader {

namespace {

std::size_t node_count(const Node &n) {
  std::size_t count = 1;
  for (const Node &item : n.items) count += node_count(item);
  for (const Entry &e : n.entries) count += node_count(e.key) + node_count(e.value);
  return count;
}

class TreeBuilder : public YAML::EventHandler {
 public:
  Node root;

  void OnDocumentStart(const Mark &) override {}
  void OnDocumentEnd() override {}
  void OnNull(const Mark &m, YAML::anchor_t anchor) override {
    Node n;
    n.mark = m;
    remember(add(std::move(n)), anchor);
  }
  void OnAlias(const Mark &m, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) throw YAML::ParserException(m, "unknown alias");
    // Aliases are copied, so a few nested ones could expand to billions of nodes.
    expanded_ += node_count(it->second);
    if (expanded_ > kMaxExpandedNodes) {
      throw YAML::ParserException(m, "aliases expand to more than 1,000,000 nodes");
    }
    add(Node(it->second));
  }
  void OnScalar(const Mark &m, const std::string &tag, YAML::anchor_t anchor,
                const std::string &value) override {
    Node n;
    n.type = Node::Type::scalar;
    n.quoted = tag == "!" || tag == "tag:yaml.org,2002:str";
    n.mark = m;
    n.text = value;
    remember(add(std::move(n)), anchor);
  }
  void OnSequenceStart(const Mark &m, const std::string &, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(Node::Type::list, m, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const Mark &m, const std::string &, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(Node::Type::map, m, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  static constexpr std::size_t kMaxExpandedNodes = 1000000;
  static constexpr std::size_t kMaxNesting = 100;
  struct Open {
    Node *node;
    YAML::anchor_t anchor;
    bool want_key;
  };

  // Places a node in the innermost open list or map (maps take a key, then its value). Only
  // finished nodes move when a vector grows; the open ones are never in a vector being appended.
  Node *add(Node &&n) {
    if (open_.empty()) {
      root = std::move(n);
      return &root;
    }
    Open &o = open_.back();
    if (o.node->is_list()) return &o.node->items.emplace_back(std::move(n));
    if (o.want_key) {
      o.want_key = false;
      return &o.node->entries.emplace_back(Entry{std::move(n), Node()}).key;
    }
    o.want_key = true;
    Node &value = o.node->entries.back().value;
    value = std::move(n);
    return &value;
  }
  void open(Node::Type type, const Mark &m, YAML::anchor_t anchor) {
    // Deeper than any goal needs; yaml-cpp's own limit is far deeper and names no place.
    if (open_.size() >= kMaxNesting) {
      throw YAML::ParserException(
          m, "maps and lists nested more than " + std::to_string(kMaxNesting) + " levels deep");
    }
    Node n;
    n.type = type;
    n.mark = m;
    open_.push_back(Open{add(std::move(n)), anchor, true});
  }
  void close() {
    Open o = open_.back();
    open_.pop_back();
    remember(o.node, o.anchor);
  }
  void remember(const Node *n, YAML::anchor_t anchor) {
    if (anchor != YAML::NullAnchor) anchors_[anchor] = *n;
  }

  std::vector<Open> open_;
  std::unordered_map<YAML::anchor_t, Node> anchors_;
  std::size_t expanded_ = 0;
};

}  // namespace

Node parse_yaml(const std::string &text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  TreeBuilder builder;
  parser.HandleNextDocument(builder);
  return std::move(builder.root);
}

bool all_digits(std::string_view s, bool hex) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9') || (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
    if (!ok) return false;
  }
  return true;
}

bool is_int_text(std::string_view s) {
  if (s.size() > 2 && s[0] == '0' && s[1] == 'x') return all_digits(s.substr(2), true);
  if (s.size() > 2 && s[0] == '0' && s[1] == 'o')
    return s.find_first_not_of("01234567", 2) == s.npos;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return all_digits(s);
}

bool is_float_text(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  std::size_t i = 0, before = 0, after = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++before;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++after;
  }
  if (before + after == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (!all_digits(s.substr(i))) return false;
    i = s.size();
  }
  return i == s.size();
}

Kind kind_of(const Node &n) {
  switch (n.type) {
    case Node::Type::null:
      return Kind::null;
    case Node::Type::list:
      return Kind::list;
    case Node::Type::map:
      return Kind::map;
    case Node::Type::scalar:
      break;
  }
  if (n.quoted) return Kind::string;
  const std::string &s = n.text;
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return Kind::null;
  if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE") {
    return Kind::boolean;
  }
  if (is_int_text(s)) return Kind::integer;
  if (is_float_text(s)) return Kind::number;
  return Kind::string;
}

std::string found(const Node &n) {
  switch (kind_of(n)) {
    case Kind::null:
      return "nothing (null)";
    case Kind::boolean:
      return "a boolean " + n.text;
    case Kind::integer:
      return "an integer " + n.text;
    case Kind::number:
      return "a number " + n.text;
    case Kind::string:
      return "a string " + quoted(n.text);
    case Kind::map:
      return "a map";
    case Kind::list:
      return "a list";
  }
  return "something else";
}

std::optional<int64_t> parse_int(std::string_view s) {
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    base = s[1] == 'x' ? 16 : 8;
    s.remove_prefix(2);
  } else if (!s.empty() && s[0] == '+') {
    s.remove_prefix(1);
  }
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string quoted(std::string_view s) {
  std::string out = "'";
  out += s.size() > 60 ? std::string(s.substr(0, 57)) + "..." : std::string(s);
  return out + "'";
}

}  // namespace gk::loader
