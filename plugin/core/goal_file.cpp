#include "core/goal_file.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "core/duration.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/json_util.hpp"
#include "core/limits.hpp"
#include "core/template.hpp"
#include "core/template_rules.hpp"
#include "core/wait_cycle.hpp"

namespace gk {
namespace {

namespace json = boost::json;
using YAML::Mark;

// ---------------------------------------------------------------------------------------------
// Key lists. The enums index the arrays; a map's fields are read into an array in this order.

// clang-format off
enum FileKey { fVersion, fDefaults, fGoals, kFileKeyCount };
constexpr std::array<std::string_view, kFileKeyCount> kFileKeys = {"version", "defaults", "goals"};

enum GoalKey { gId, gTitle, gDescription, gParams, gTasks, gParallel, gMaxParallel, gSessionPolicy,
               gRun, gEnv, gTimeout, kGoalKeyCount };
constexpr std::array<std::string_view, kGoalKeyCount> kGoalKeys = {
    "id", "title", "description", "params", "tasks", "parallel", "max_parallel", "session_policy",
    "run", "env", "timeout"};

enum TaskKey { tId, tTitle, tDescription, tPrompt, tRun, tEnv, tStage, tSessionPolicy, tParallel,
               tNeeds, tPriority, tMaxRetries, tTimeout, tRequiresApproval, tWaitFor, tTasks,
               kTaskKeyCount };
constexpr std::array<std::string_view, kTaskKeyCount> kTaskKeys = {
    "id", "title", "description", "prompt", "run", "env", "stage", "session_policy", "parallel",
    "needs", "priority", "max_retries", "timeout", "requires_approval", "wait_for", "tasks"};

// Any task key that makes sense for every task, plus the goal's max_parallel.
enum DefaultsKey { dTitle, dDescription, dPrompt, dRun, dEnv, dSessionPolicy, dParallel, dPriority,
                   dMaxRetries, dTimeout, dRequiresApproval, dMaxParallel, kDefaultsKeyCount };
constexpr std::array<std::string_view, kDefaultsKeyCount> kDefaultsKeys = {
    "title", "description", "prompt", "run", "env", "session_policy", "parallel", "priority",
    "max_retries", "timeout", "requires_approval", "max_parallel"};
// clang-format on

constexpr std::array<std::string_view, 5> kGateTypes = {"gh_ci", "gh_review", "centaur_review",
                                                        "human_approval", "compound"};
constexpr std::array<std::string_view, 3> kStageNames = {"agent_work", "wait_for_signal",
                                                         "human_review"};
constexpr std::array<std::string_view, 3> kPolicyNames = {"reuse", "spawn", "auto"};

// Gate keys besides `type`, by gate type (same order as kGateTypes).
const std::vector<std::string_view> &gate_keys(std::string_view type) {
  static const std::vector<std::string_view> ci = {"repo", "pr", "sha", "checks", "timeout"};
  static const std::vector<std::string_view> review = {"repo", "pr", "min_approvals", "timeout"};
  static const std::vector<std::string_view> centaur = {"pr_url", "repo", "pr", "timeout"};
  static const std::vector<std::string_view> human = {"key", "repo", "pr", "pr_url", "timeout"};
  static const std::vector<std::string_view> compound = {"all", "any", "timeout"};
  if (type == "gh_ci") return ci;
  if (type == "gh_review") return review;
  if (type == "centaur_review") return centaur;
  if (type == "human_approval") return human;
  return compound;
}

// ---------------------------------------------------------------------------------------------
// Small text helpers.

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

template <typename Names>
std::string suggestion(std::string_view name, const Names &candidates) {
  std::string_view best;
  std::size_t best_distance = 3;
  for (std::string_view c : candidates) {
    std::size_t d = edit_distance(name, c);
    if (d < best_distance && d < std::max(name.size(), c.size())) {
      best = c;
      best_distance = d;
    }
  }
  return best.empty() ? std::string() : " (did you mean '" + std::string(best) + "'?)";
}

template <typename Names>
std::string join(const Names &names) {
  std::string out;
  for (std::string_view n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

std::string quoted(std::string_view s) {
  std::string out = "'";
  out += s.size() > 60 ? std::string(s.substr(0, 57)) + "..." : std::string(s);
  return out + "'";
}

// ---------------------------------------------------------------------------------------------
// The document as a plain tree built from yaml-cpp's parser events. yaml-cpp's own node tree
// costs as much again as the parse itself on big files (100,000 tasks); this one keeps only what
// validation reads: shape, text, quoting and positions.

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

// Parses the first document of `text`; yaml-cpp's exceptions carry the position.
Node parse_yaml(const std::string &text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  TreeBuilder builder;
  parser.HandleNextDocument(builder);
  return std::move(builder.root);
}

// ---------------------------------------------------------------------------------------------
// YAML scalars carry no type in yaml-cpp; these resolve it the way YAML 1.2's core schema does,
// so `pr: 42` is a number and `pr: "42"` a string.

enum class Kind { null, boolean, integer, number, string, map, list };

bool all_digits(std::string_view s, bool hex = false) {
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

// "a string 'x'", "an integer 5", "a list": what was found, for "expected X, found Y".
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

// ---------------------------------------------------------------------------------------------
// Key paths for messages ("goals[0].tasks[2].run"), kept as a chain on the stack and turned
// into text only when something is reported.

struct Path {
  const Path *parent = nullptr;
  std::string_view key;
  long index = -1;
};

std::string path_text(const Path &p) {
  std::vector<const Path *> chain;
  for (const Path *at = &p; at; at = at->parent) chain.push_back(at);
  std::string out;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    if ((*it)->index >= 0) {
      out += "[" + std::to_string((*it)->index) + "]";
    } else if (!(*it)->key.empty()) {
      if (!out.empty()) out += '.';
      out += (*it)->key;
    }
  }
  return out;
}

// One key of a map as the file wrote it.
struct Field {
  const Node *key_ = nullptr;
  const Node *value_ = nullptr;
  bool set = false;
  const Node &key() const { return *key_; }
  const Node &value() const { return *value_; }
  std::string_view name() const { return key_->text; }
  // A null value's own mark points past it; the key's mark is where the reader looks.
  Mark mark() const { return value_->is_null() ? key_->mark : value_->mark; }
};

// A string holding templates, checked against the goal once all its task ids are known.
struct Site {
  Mark mark;
  std::string path;
  std::vector<TemplateRef> refs;
  std::string owner;    // the task it is written on; "" on the goal or in defaults (every task)
  bool in_run = false;  // part of a run argv
};

struct Defaults {
  TaskDef flow;  // run, env, session_policy, timeout_s, max_retries: these flow down the tree
  std::optional<std::string> title, description, prompt;
  std::optional<bool> parallel, requires_approval;
  std::optional<int> priority, max_parallel;
  std::vector<Site> sites;
};

// What one goal's parse has seen so far.
struct GoalScope {
  std::string_view goal_id;
  const json::object *params = nullptr;
  // Views into the YAML document, which outlives the parse.
  std::unordered_map<std::string_view, Mark> ids;
  const std::function<bool(std::string_view)> *id_taken = nullptr;
  int base_depth = 0;  // the level of the task whose children are read (0: the goal)
  std::vector<Site> sites;

  bool has_task(std::string_view id) const {
    return id == goal_id || ids.contains(id) || (id_taken && (*id_taken)(id));
  }
};

// Where a task's `needs` were written, to report dangling names and cycles.
struct NeedsSource {
  std::size_t index = 0;
  Mark mark;
  std::vector<Mark> item_marks;
};

class Loader {
 public:
  Loader(std::string_view source, bool positions) : source_(source), positions_(positions) {}

  Defaults defaults;

  [[noreturn]] void fail(const Mark &m, const std::string &path, const std::string &msg) const {
    std::string out(source_);
    if (positions_ && !m.is_null()) {
      out += ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
    }
    out += ": ";
    if (!path.empty()) out += path + ": ";
    gk::fail(Errc::invalid, out + msg);
  }
  [[noreturn]] void fail(const Mark &m, const Path &p, const std::string &msg) const {
    fail(m, path_text(p), msg);
  }
  [[noreturn]] void fail(const Field &f, const Path &owner, const std::string &msg) const {
    fail(f.mark(), Path{&owner, f.name()}, msg);
  }

  std::string where_line(const Mark &m) const {
    return positions_ && !m.is_null()
               ? " (first defined at line " + std::to_string(m.line + 1) + ")"
               : " (defined twice)";
  }

  // Reads a map's keys into fields indexed like `allowed`. `other` names keys that belong
  // elsewhere, for a clearer message than "unknown".
  template <std::size_t N>
  std::array<Field, N> read_map(const Node &n, const std::array<std::string_view, N> &allowed,
                                const Path &path, std::string_view what,
                                std::span<const std::string_view> other = {},
                                std::string_view other_what = {}) const {
    std::array<Field, N> out;
    for (const Entry &e : n.entries) {
      const Node &key = e.key;
      if (!key.is_scalar()) fail(key.mark, path, "expected a key name, found " + found(key));
      const std::string &name = key.text;
      std::size_t i = 0;
      while (i < N && allowed[i] != name) ++i;
      Path at{&path, name};
      if (i == N) fail(key.mark, at, unknown_key(name, allowed, what, other, other_what));
      if (out[i].set) {
        fail(key.mark, at, "duplicate key " + quoted(name) + where_line(out[i].key().mark));
      }
      out[i] = Field{&key, &e.value, true};
    }
    return out;
  }

  template <typename Names>
  static std::string unknown_key(std::string_view name, const Names &allowed, std::string_view what,
                                 std::span<const std::string_view> other = {},
                                 std::string_view other_what = {}) {
    for (std::string_view o : other) {
      if (o == name) {
        return "key " + quoted(name) + " is not allowed in " + std::string(what) + " (it is " +
               std::string(other_what) + "); allowed keys: " + join(allowed);
      }
    }
    return "unknown key " + quoted(name) + " in " + std::string(what) + suggestion(name, allowed) +
           "; allowed keys: " + join(allowed);
  }

  // --- typed values -------------------------------------------------------------------------

  std::string text(const Field &f, const Path &owner) const {
    Kind k = kind_of(f.value());
    if (k != Kind::string && k != Kind::integer && k != Kind::number) {
      fail(f, owner, "expected a string, found " + found(f.value()));
    }
    return f.value().text;
  }

  const std::string &id(const Field &f, const Path &owner) const {
    Kind k = kind_of(f.value());
    if (k != Kind::string && k != Kind::integer) {
      fail(f, owner, "expected an id (a string), found " + found(f.value()));
    }
    const std::string &s = f.value().text;
    if (!is_valid_id(s)) fail(f, owner, id_error(s));
    return s;
  }

  bool boolean(const Field &f, const Path &owner) const {
    if (kind_of(f.value()) != Kind::boolean) {
      fail(f, owner, "expected true or false, found " + found(f.value()));
    }
    return f.value().text[0] == 't' || f.value().text[0] == 'T';
  }

  int64_t integer(const Field &f, const Path &owner, int64_t min, int64_t max) const {
    return integer_node(f.value(), f.mark(), Path{&owner, f.name()}, min, max);
  }

  int64_t integer_node(const Node &n, const Mark &m, const Path &p, int64_t min,
                       int64_t max) const {
    if (kind_of(n) != Kind::integer) fail(m, p, "expected an integer, found " + found(n));
    std::optional<int64_t> v = parse_int(n.text);
    if (!v || *v < min || *v > max) {
      std::string range = max == INT64_MAX
                              ? ">= " + std::to_string(min)
                              : "from " + std::to_string(min) + " to " + std::to_string(max);
      fail(m, p, "expected an integer " + range + ", found " + n.text);
    }
    return *v;
  }

  int64_t duration(const Field &f, const Path &owner) const {
    Kind k = kind_of(f.value());
    std::optional<int64_t> s;
    if (k == Kind::integer || k == Kind::string) s = parse_duration_s(f.value().text);
    if (!s) {
      fail(f, owner,
           "expected a duration (seconds, or a number with a unit: 90, 45s, 30m, 1h30m, 2d, 1w), "
           "found " +
               found(f.value()));
    }
    if (*s > kMaxDurationS)
      fail(f, owner,
           "expected a duration of at most 365d (" + std::to_string(kMaxDurationS) +
               " seconds), found " + f.value().text);
    return *s;
  }

  template <typename Names>
  std::string_view one_of(const Field &f, const Path &owner, const Names &names) const {
    if (kind_of(f.value()) == Kind::string) {
      for (std::string_view n : names) {
        if (n == f.value().text) return n;
      }
    }
    fail(f, owner,
         "expected one of " + join(names) + ", found " + found(f.value()) +
             (kind_of(f.value()) == Kind::string ? suggestion(f.value().text, names) : ""));
  }

  SessionPolicy policy(const Field &f, const Path &owner) const {
    return *session_policy_from_string(one_of(f, owner, kPolicyNames));
  }

  // A scalar that becomes a string (argv items, env values, gate names).
  std::string scalar_text(const Node &n, const Mark &m, const Path &p, const char *what) const {
    Kind k = kind_of(n);
    if (k == Kind::map || k == Kind::list || k == Kind::null) {
      fail(m, p, std::string("expected ") + what + ", found " + found(n));
    }
    return n.text;
  }

  // Parses the templates of a string now (syntax) and keeps them for the goal's check
  // (references), so a bad template is reported where it was written.
  void templates(const std::string &s, const Mark &m, const Path &p,
                 std::vector<Site> &sites) const {
    if (!has_template(s)) return;
    std::vector<TemplateRef> refs;
    try {
      refs = parse_template(s);
    } catch (const Error &e) {
      fail(m, p, e.what());
    }
    sites.push_back(Site{m, path_text(p), std::move(refs), {}, false});
  }

  std::vector<std::string> argv(const Field &f, const Path &owner, std::vector<Site> &sites) const {
    Path p{&owner, f.name()};
    if (kind_of(f.value()) == Kind::string) {
      fail(f.mark(), p,
           "run must be a list (argv), not a shell string: write run: [\"" + f.value().text +
               "\"] or split the words yourself, e.g. run: [\"./agent.sh\", \"--fast\"]");
    }
    if (!f.value().is_list())
      fail(f.mark(), p, "expected a list (argv), found " + found(f.value()));
    if (f.value().size() == 0) fail(f.mark(), p, "expected a non-empty list (argv), found []");
    std::vector<std::string> out;
    out.reserve(f.value().size());
    const std::size_t first_site = sites.size();
    long i = 0;
    for (const Node &item : f.value().items) {
      Path ip{&p, {}, i++};
      out.push_back(scalar_text(item, item.mark, ip, "a string"));
      templates(out.back(), item.mark, ip, sites);
    }
    for (std::size_t k = first_site; k < sites.size(); ++k) sites[k].in_run = true;
    return out;
  }

  void env(const Field &f, const Path &owner, std::map<std::string, std::string> &into,
           std::vector<Site> &sites) const {
    Path p{&owner, f.name()};
    if (!f.value().is_map())
      fail(f.mark(), p, "expected a map of names to strings, found " + found(f.value()));
    for (const Entry &e : f.value().entries) {
      const Node &key = e.key, &value = e.value;
      if (!key.is_scalar()) fail(key.mark, p, "expected a variable name, found " + found(key));
      Path kp{&p, key.text};
      Mark m = value.is_null() ? key.mark : value.mark;
      std::string v = scalar_text(value, m, kp, "a string (quote it)");
      templates(v, m, kp, sites);
      into[key.text] = std::move(v);
    }
  }

  json::value to_json_value(const Node &n, const Mark &m, const Path &p) const {
    switch (kind_of(n)) {
      case Kind::null:
        return nullptr;
      case Kind::boolean:
        return n.text[0] == 't' || n.text[0] == 'T';
      case Kind::integer: {
        std::optional<int64_t> v = parse_int(n.text);
        if (!v) fail(m, p, "integer out of range: " + n.text);
        return *v;
      }
      case Kind::number:
        return std::strtod(n.text.c_str(), nullptr);
      case Kind::string:
        return json::string(n.text);
      case Kind::list: {
        json::array a;
        long i = 0;
        for (const Node &item : n.items) {
          a.push_back(to_json_value(item, item.mark, Path{&p, {}, i++}));
        }
        return a;
      }
      case Kind::map: {
        json::object o;
        for (const Entry &e : n.entries) {
          const Node &key = e.key, &value = e.value;
          if (!key.is_scalar()) fail(key.mark, p, "expected a key name, found " + found(key));
          o[key.text] =
              to_json_value(value, value.is_null() ? key.mark : value.mark, Path{&p, key.text});
        }
        return o;
      }
    }
    return nullptr;
  }

  // --- gates --------------------------------------------------------------------------------

  json::object gate(const Node &n, const Mark &m, const Path &p, std::vector<Site> &sites) const {
    if (!n.is_map()) fail(m, p, "expected a gate (a map with a type), found " + found(n));
    Field type;
    for (const Entry &e : n.entries) {
      if (e.key.is_scalar() && e.key.text == "type") type = Field{&e.key, &e.value, true};
    }
    if (!type.set) {
      fail(n.mark, p, "missing key 'type': expected one of " + join(kGateTypes));
    }
    std::string_view kind = one_of(type, p, kGateTypes);
    const std::vector<std::string_view> &allowed = gate_keys(kind);
    json::object out;
    out.emplace("type", kind);
    std::vector<std::string_view> seen;
    for (const Entry &e : n.entries) {
      Field f{&e.key, &e.value, true};
      if (!f.key().is_scalar())
        fail(f.key().mark, p, "expected a key name, found " + found(f.key()));
      std::string_view name = f.name();
      if (name == "type") continue;
      Path kp{&p, name};
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
        std::vector<std::string_view> all = allowed;
        all.insert(all.begin(), "type");
        fail(f.key().mark, kp, unknown_key(name, all, "a " + std::string(kind) + " gate"));
      }
      if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
        fail(f.key().mark, kp, "duplicate key " + quoted(name));
      }
      seen.push_back(name);
      gate_value(f, p, out, sites);
    }
    auto has = [&](std::string_view k) { return out.contains(k); };
    auto need = [&](const std::string &what) {
      fail(n.mark, p, "a " + std::string(kind) + " gate needs " + what);
    };
    if (kind == "gh_ci") {
      if (!has("repo")) need("repo");
      if (!has("pr") && !has("sha")) need("pr or sha");
      if (has("pr") && has("sha")) need("pr or sha, not both");
    } else if (kind == "gh_review") {
      if (!has("repo")) need("repo");
      if (!has("pr")) need("pr");
    } else if (kind == "centaur_review") {
      if (!has("pr_url") && !(has("repo") && has("pr"))) need("pr_url, or repo and pr");
    } else if (kind == "human_approval") {
      if (has("repo") != has("pr")) need("repo and pr together (or pr_url, or only a key)");
    } else if (kind == "compound") {
      if (has("all") == has("any")) need("either all or any (a list of gates)");
    }
    return out;
  }

  void gate_value(const Field &f, const Path &p, json::object &out,
                  std::vector<Site> &sites) const {
    std::string_view name = f.name();
    Path kp{&p, name};
    Mark m = f.mark();
    if (name == "timeout") {
      out.emplace("timeout_s", duration(f, p));
    } else if (name == "min_approvals") {
      out.emplace(name, integer(f, p, 1, kMaxApprovalsLimit));
    } else if (name == "pr") {
      Kind k = kind_of(f.value());
      if (k == Kind::integer) {
        out.emplace(name, integer(f, p, 1, INT64_MAX));
        return;
      }
      std::string s = k == Kind::string ? f.value().text : std::string();
      if (k != Kind::string || (!has_template(s) && !all_digits(s))) {
        fail(m, kp, "expected a pull request number or a template, found " + found(f.value()));
      }
      templates(s, m, kp, sites);
      out.emplace(name, s);
    } else if (name == "checks") {
      if (!f.value().is_list())
        fail(m, kp, "expected a list of check names, found " + found(f.value()));
      json::array names;
      long i = 0;
      for (const Node &item : f.value().items) {
        Path ip{&kp, {}, i++};
        std::string s = scalar_text(item, item.mark, ip, "a check name");
        templates(s, item.mark, ip, sites);
        names.emplace_back(s);
      }
      out.emplace(name, std::move(names));
    } else if (name == "all" || name == "any") {
      if (!f.value().is_list() || f.value().size() == 0) {
        fail(m, kp, "expected a non-empty list of gates, found " + found(f.value()));
      }
      json::array parts;
      long i = 0;
      for (const Node &item : f.value().items) {
        parts.emplace_back(gate(item, item.mark, Path{&kp, {}, i++}, sites));
      }
      out.emplace(name, std::move(parts));
    } else {  // repo, sha, pr_url, key
      std::string s = scalar_text(f.value(), m, kp, "a string");
      if (!has_template(s)) {
        if (name == "repo" && !valid_repo(s))
          fail(m, kp, "expected owner/name, found " + quoted(s));
        if (name == "pr_url" && s.rfind("https://", 0) != 0 && s.rfind("http://", 0) != 0) {
          fail(m, kp, "expected a URL (https://...), found " + quoted(s));
        }
      }
      templates(s, m, kp, sites);
      out.emplace(name, s);
    }
  }

  static bool valid_repo(std::string_view s) {
    std::size_t slash = s.find('/');
    if (slash == 0 || slash == s.npos || slash + 1 == s.size()) return false;
    return s.find_first_of("/ \t", slash + 1) == s.npos && s.substr(0, slash).find(' ') == s.npos;
  }

  // --- tasks --------------------------------------------------------------------------------

  std::vector<TaskDef> task_list(const Node &list, const Mark &m, const Path &lp, const TaskDef &up,
                                 GoalScope &scope) const {
    if (!list.is_list()) fail(m, lp, "expected a list of tasks, found " + found(list));
    int depth = scope.base_depth;
    for (const Path *at = &lp; at; at = at->parent)
      if (at->key == "tasks" || at->key == "subtasks") ++depth;
    if (depth > kMaxTreeDepth) {
      fail(m, lp,
           "tasks nested more than " + std::to_string(kMaxTreeDepth) +
               " levels deep (the goal's tasks are level 1): flatten the tree, parallel: true "
               "and needs order tasks without nesting them");
    }
    if (list.size() == 0) {
      fail(m, lp,
           "expected at least one task, found an empty list (leave tasks out for a leaf task)");
    }
    std::vector<TaskDef> out;
    out.reserve(list.size());
    std::vector<NeedsSource> needs;
    long i = 0;
    for (const Node &item : list.items) {
      NeedsSource src;
      src.index = static_cast<std::size_t>(i);
      out.push_back(task(item, Path{&lp, {}, i++}, up, scope, src));
      if (out.back().has_needs) needs.push_back(std::move(src));
    }
    if (!needs.empty()) check_needs(out, needs, lp, scope, up.parallel);
    return out;
  }

  TaskDef task(const Node &n, const Path &p, const TaskDef &up, GoalScope &scope,
               NeedsSource &needs_src) const {
    if (!n.is_map()) fail(n.mark, p, "expected a task (a map with an id), found " + found(n));
    auto f = read_map(n, kTaskKeys, p, "a task", kGoalKeys, "a goal key");
    if (!f[tId].set) fail(n.mark, p, "missing key 'id': every task needs an id");
    TaskDef t;
    const std::string &task_id = id(f[tId], p);
    register_id(task_id, f[tId], p, scope);
    t.id = task_id;
    const std::size_t first_site = scope.sites.size();
    t.title = f[tTitle].set ? text(f[tTitle], p) : defaults.title.value_or(t.id);
    t.description =
        f[tDescription].set ? text(f[tDescription], p) : defaults.description.value_or("");
    if (f[tPrompt].set) {
      t.prompt = text(f[tPrompt], p);
      templates(t.prompt, f[tPrompt].mark(), Path{&p, "prompt"}, scope.sites);
    } else {
      t.prompt = defaults.prompt.value_or("");
    }
    t.run = f[tRun].set ? argv(f[tRun], p, scope.sites) : up.run;
    t.env = up.env;
    if (f[tEnv].set) env(f[tEnv], p, t.env, scope.sites);
    t.session_policy = f[tSessionPolicy].set ? policy(f[tSessionPolicy], p) : up.session_policy;
    t.timeout_s = f[tTimeout].set ? duration(f[tTimeout], p) : up.timeout_s;
    t.max_retries = f[tMaxRetries].set
                        ? static_cast<int>(integer(f[tMaxRetries], p, 0, kMaxRetriesLimit))
                        : up.max_retries;
    t.parallel = f[tParallel].set ? boolean(f[tParallel], p) : defaults.parallel.value_or(false);
    t.priority = f[tPriority].set
                     ? static_cast<int>(integer(f[tPriority], p, -kMaxPriority, kMaxPriority))
                     : defaults.priority.value_or(0);
    if (f[tNeeds].set) read_needs(f[tNeeds], p, t, needs_src);
    if (f[tWaitFor].set) {
      t.wait_for = gate(f[tWaitFor].value(), f[tWaitFor].mark(), Path{&p, "wait_for"}, scope.sites);
    }
    // The templates written on this task so far are its own; its children's follow.
    for (std::size_t k = first_site; k < scope.sites.size(); ++k) scope.sites[k].owner = t.id;
    std::optional<Stage> stage;
    if (f[tStage].set) stage = stage_from_string(one_of(f[tStage], p, kStageNames));
    if (f[tTasks].set) {
      if (f[tWaitFor].set) {
        fail(f[tWaitFor].key().mark, Path{&p, "wait_for"},
             "a task with children cannot wait_for: put the gate in a child task");
      }
      if (stage && *stage != Stage::agent_work) {
        fail(f[tStage], p,
             std::string("a task with children cannot have stage ") + to_string(*stage) +
                 ": give it to a child task");
      }
      if (f[tRequiresApproval].set) {
        fail(f[tRequiresApproval].key().mark, Path{&p, "requires_approval"},
             "requires_approval applies to agent tasks, not to a task with children");
      }
      t.tasks = task_list(f[tTasks].value(), f[tTasks].mark(), Path{&p, "tasks"}, t, scope);
      return t;
    }
    if (f[tWaitFor].set) {
      if (stage && *stage != Stage::wait_for_signal) {
        fail(f[tStage], p,
             std::string("stage ") + to_string(*stage) +
                 " cannot have wait_for (a task with wait_for is a wait_for_signal gate)");
      }
      if (f[tTimeout].set) {
        fail(f[tTimeout].key().mark, Path{&p, "timeout"},
             "a gate's timeout goes inside wait_for, e.g. wait_for: {type: gh_ci, ..., timeout: "
             "2h}");
      }
      t.stage = Stage::wait_for_signal;
    } else if (stage == Stage::wait_for_signal) {
      fail(f[tStage], p, "stage wait_for_signal needs wait_for (the gate to wait for)");
    } else {
      t.stage = stage.value_or(Stage::agent_work);
    }
    if (f[tRequiresApproval].set) {
      if (t.stage != Stage::agent_work) {
        fail(f[tRequiresApproval].key().mark, Path{&p, "requires_approval"},
             std::string("requires_approval applies to agent_work tasks, not to ") +
                 to_string(t.stage));
      }
      t.requires_approval = boolean(f[tRequiresApproval], p);
    } else {
      t.requires_approval =
          t.stage == Stage::agent_work && defaults.requires_approval.value_or(false);
    }
    if (t.stage == Stage::agent_work && t.run.empty()) {
      fail(n.mark, p,
           "task " + t.id + " has nothing to run: set run on the task, its goal or defaults");
    }
    return t;
  }

  void register_id(const std::string &task_id, const Field &f, const Path &p,
                   GoalScope &scope) const {
    if (task_id == scope.goal_id) {
      fail(f, p,
           "task id " + quoted(task_id) + " is the id of its goal; task ids must differ from it");
    }
    auto [it, fresh] = scope.ids.try_emplace(std::string_view(task_id), f.value().mark);
    if (!fresh) {
      fail(f, p,
           "duplicate task id " + quoted(task_id) + " in goal " + quoted(scope.goal_id) +
               where_line(it->second));
    }
    if (scope.id_taken && (*scope.id_taken)(task_id)) {
      fail(f, p,
           "task id " + quoted(task_id) + " is already used in goal " + quoted(scope.goal_id));
    }
  }

  void read_needs(const Field &f, const Path &p, TaskDef &t, NeedsSource &src) const {
    Path np{&p, "needs"};
    if (!f.value().is_list())
      fail(f.mark(), np, "expected a list of sibling task ids, found " + found(f.value()));
    t.has_needs = true;
    src.mark = f.key().mark;
    std::unordered_set<std::string_view> seen;
    long i = 0;
    for (const Node &item : f.value().items) {
      Path ip{&np, {}, i++};
      Kind k = kind_of(item);
      if (k != Kind::string && k != Kind::integer) {
        fail(item.mark, ip, "expected a sibling task id, found " + found(item));
      }
      const std::string &s = item.text;
      if (!is_valid_id(s)) fail(item.mark, ip, id_error(s));
      if (!seen.insert(s).second) fail(item.mark, ip, quoted(s) + " is listed twice");
      t.needs.push_back(s);
      src.item_marks.push_back(item.mark);
    }
  }

  // Needs name siblings, never the task itself, and never form a cycle. Linear: one index of the
  // siblings, one depth-first walk.
  void check_needs(const std::vector<TaskDef> &tasks, const std::vector<NeedsSource> &sources,
                   const Path &lp, const GoalScope &scope, bool parallel) const {
    std::unordered_map<std::string_view, std::size_t> index;
    index.reserve(tasks.size());
    for (std::size_t i = 0; i < tasks.size(); ++i) index.emplace(tasks[i].id, i);
    std::vector<std::vector<std::size_t>> edges(tasks.size());
    std::vector<const NeedsSource *> source_of(tasks.size(), nullptr);
    for (const NeedsSource &src : sources) {
      const TaskDef &t = tasks[src.index];
      source_of[src.index] = &src;
      Path tp{&lp, {}, static_cast<long>(src.index)};
      Path np{&tp, "needs"};
      for (std::size_t k = 0; k < t.needs.size(); ++k) {
        const std::string &name = t.needs[k];
        Path ip{&np, {}, static_cast<long>(k)};
        if (name == t.id)
          fail(src.item_marks[k], ip, "task " + quoted(t.id) + " cannot need itself");
        auto it = index.find(name);
        if (it == index.end()) {
          auto elsewhere = scope.ids.find(name);
          if (elsewhere != scope.ids.end() || (scope.id_taken && (*scope.id_taken)(name))) {
            fail(src.item_marks[k], ip,
                 quoted(name) + " is not a sibling of " + quoted(t.id) +
                     ": needs names tasks with the same parent");
          }
          std::vector<std::string_view> names;
          for (const TaskDef &s : tasks) names.push_back(s.id);
          fail(src.item_marks[k], ip,
               "no sibling task " + quoted(name) + suggestion(name, names) +
                   ": needs names tasks with the same parent");
        }
        edges[src.index].push_back(it->second);
      }
    }
    enum : uint8_t { kUnseen, kOpen, kClosed };
    std::vector<uint8_t> state(tasks.size(), kUnseen);
    std::vector<std::pair<std::size_t, std::size_t>> stack;  // task, next edge
    for (const NeedsSource &src : sources) {
      if (state[src.index] != kUnseen) continue;
      stack.push_back({src.index, 0});
      state[src.index] = kOpen;
      while (!stack.empty()) {
        auto &[v, e] = stack.back();
        if (e == edges[v].size()) {
          state[v] = kClosed;
          stack.pop_back();
          continue;
        }
        std::size_t w = edges[v][e++];
        if (state[w] == kUnseen) {
          state[w] = kOpen;
          stack.push_back({w, 0});
        } else if (state[w] == kOpen) {
          std::string cycle;
          bool in = false;
          for (const auto &[u, unused] : stack) {
            if (u == w) in = true;
            if (in) cycle += tasks[u].id + " -> ";
          }
          cycle += tasks[w].id;
          Path tp{&lp, {}, static_cast<long>(w)};
          fail(source_of[w]->mark, Path{&tp, "needs"}, "needs form a cycle: " + cycle);
        }
      }
    }
    if (!parallel) check_sequential_waits(tasks, edges, source_of, lp);
  }

  // Under a sequential parent, a task that needs a later sibling can wait for one that waits for
  // it (wait_cycle.hpp): a file that would validate and then never run.
  void check_sequential_waits(const std::vector<TaskDef> &tasks,
                              const std::vector<std::vector<std::size_t>> &edges,
                              const std::vector<const NeedsSource *> &source_of,
                              const Path &lp) const {
    std::vector<std::size_t> order(tasks.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return tasks[a].priority > tasks[b].priority;
    });
    std::vector<std::size_t> position(tasks.size());
    for (std::size_t k = 0; k < order.size(); ++k) position[order[k]] = k;
    std::vector<std::optional<std::vector<std::size_t>>> needs(tasks.size());
    for (std::size_t i = 0; i < tasks.size(); ++i)
      if (tasks[i].has_needs) needs[i] = edges[i];
    std::vector<std::size_t> cycle = sequential_wait_cycle(needs, position);
    if (cycle.empty()) return;
    // Reported at the needs that point forward, where the fix is.
    std::size_t at = cycle[0];
    for (std::size_t k = 0; k < cycle.size(); ++k) {
      std::size_t a = cycle[k], b = cycle[(k + 1) % cycle.size()];
      if (needs[a] && position[b] > position[a]) {
        at = a;
        break;
      }
    }
    std::string text;
    for (std::size_t k : cycle) text += tasks[k].id + " -> ";
    text += tasks[cycle[0]].id;
    Path tp{&lp, {}, static_cast<long>(at)};
    fail(source_of[at] ? source_of[at]->mark : Mark::null_mark(), Path{&tp, "needs"},
         "the tasks wait for each other: " + text +
             " (under a sequential parent a task without needs waits for every task before it); "
             "order them so that what " +
             quoted(tasks[at].id) + " needs comes first, or give those tasks needs of their own");
  }

  // --- goals, defaults, file ----------------------------------------------------------------

  void read_defaults(const Field &f, const Path &root) {
    Path p{&root, "defaults"};
    if (!f.value().is_map()) fail(f.mark(), p, "expected a map, found " + found(f.value()));
    auto d = read_map(f.value(), kDefaultsKeys, p, "defaults", kTaskKeys,
                      "a task key that cannot have a default");
    Defaults &out = defaults;
    if (d[dTitle].set) out.title = text(d[dTitle], p);
    if (d[dDescription].set) out.description = text(d[dDescription], p);
    if (d[dPrompt].set) {
      out.prompt = text(d[dPrompt], p);
      templates(*out.prompt, d[dPrompt].mark(), Path{&p, "prompt"}, out.sites);
    }
    if (d[dRun].set) out.flow.run = argv(d[dRun], p, out.sites);
    if (d[dEnv].set) env(d[dEnv], p, out.flow.env, out.sites);
    if (d[dSessionPolicy].set) out.flow.session_policy = policy(d[dSessionPolicy], p);
    if (d[dParallel].set) out.parallel = boolean(d[dParallel], p);
    if (d[dPriority].set)
      out.priority = static_cast<int>(integer(d[dPriority], p, -kMaxPriority, kMaxPriority));
    if (d[dMaxRetries].set) {
      out.flow.max_retries = static_cast<int>(integer(d[dMaxRetries], p, 0, kMaxRetriesLimit));
    }
    if (d[dTimeout].set) out.flow.timeout_s = duration(d[dTimeout], p);
    if (d[dRequiresApproval].set) out.requires_approval = boolean(d[dRequiresApproval], p);
    if (d[dMaxParallel].set) {
      out.max_parallel = static_cast<int>(integer(d[dMaxParallel], p, 0, kMaxParallelLimit));
    }
  }

  GoalDef goal(const Node &n, const Path &p) const {
    if (!n.is_map())
      fail(n.mark, p, "expected a goal (a map with id and tasks), found " + found(n));
    auto f = read_map(n, kGoalKeys, p, "a goal", kTaskKeys, "a task key");
    if (!f[gId].set) fail(n.mark, p, "missing key 'id': every goal needs an id");
    GoalDef g;
    const std::string &goal_id = id(f[gId], p);
    g.id = goal_id;
    g.title = f[gTitle].set ? text(f[gTitle], p) : g.id;
    g.description = f[gDescription].set ? text(f[gDescription], p) : "";
    if (f[gParams].set) {
      Path pp{&p, "params"};
      if (!f[gParams].value().is_map())
        fail(f[gParams].mark(), pp, "expected a map, found " + found(f[gParams].value()));
      g.params = to_json_value(f[gParams].value(), f[gParams].mark(), pp).as_object();
    }
    g.max_parallel = f[gMaxParallel].set
                         ? static_cast<int>(integer(f[gMaxParallel], p, 0, kMaxParallelLimit))
                         : defaults.max_parallel.value_or(0);
    GoalScope scope;
    scope.goal_id = goal_id;
    scope.params = &g.params;
    TaskDef &root = g.root;
    root.id = g.id;
    root.title = g.title;
    root.description = g.description;
    root.parallel = f[gParallel].set ? boolean(f[gParallel], p) : defaults.parallel.value_or(false);
    root.run = f[gRun].set ? argv(f[gRun], p, scope.sites) : defaults.flow.run;
    root.env = defaults.flow.env;
    if (f[gEnv].set) env(f[gEnv], p, root.env, scope.sites);
    root.session_policy =
        f[gSessionPolicy].set ? policy(f[gSessionPolicy], p) : defaults.flow.session_policy;
    root.timeout_s = f[gTimeout].set ? duration(f[gTimeout], p) : defaults.flow.timeout_s;
    root.max_retries = defaults.flow.max_retries;
    if (!f[gTasks].set) fail(n.mark, p, "goal " + quoted(g.id) + " has no tasks: add a tasks list");
    root.tasks = task_list(f[gTasks].value(), f[gTasks].mark(), Path{&p, "tasks"}, root, scope);
    TemplateRules rules(root);
    check_sites(defaults.sites, scope, rules, root.id);
    check_sites(scope.sites, scope, rules, root.id);
    g.source = source_;
    return g;
  }

  // Template references name what the goal has: its params and its tasks; and they read a task
  // only where template_rules.hpp allows it.
  void check_sites(const std::vector<Site> &sites, const GoalScope &scope,
                   const TemplateRules &rules, std::string_view root_id) const {
    using K = TemplateRef::Kind;
    for (const Site &site : sites) {
      for (const TemplateRef &ref : site.refs) {
        std::string head = "template {{ " + to_string(ref) + " }}: ";
        if (ref.kind == K::param && !find_json_path(*scope.params, ref.path)) {
          std::vector<std::string_view> keys;
          for (const auto &kv : *scope.params) keys.push_back(kv.key());
          fail(site.mark, site.path,
               head + "goal " + quoted(scope.goal_id) + " has no param " +
                   quoted(to_string(ref).substr(std::string_view("params.").size())) +
                   suggestion(ref.path[0], keys) +
                   (keys.empty() ? " (it has no params)" : "; its params: " + join(keys)));
        }
        if ((ref.kind == K::artifact || ref.kind == K::summary) && !scope.has_task(ref.task_id)) {
          std::vector<std::string_view> ids;
          if (scope.ids.size() < 10000) {
            for (const auto &kv : scope.ids) ids.push_back(kv.first);
          }
          fail(site.mark, site.path,
               head + "goal " + quoted(scope.goal_id) + " has no task " + quoted(ref.task_id) +
                   suggestion(ref.task_id, ids));
        }
        std::string why = rules.problem(site.owner.empty() ? root_id : std::string_view(site.owner),
                                        site.in_run, ref);
        if (!why.empty()) fail(site.mark, site.path, head + why);
      }
    }
  }

  std::vector<GoalDef> file(const Node &doc) {
    Path root;
    if (doc.is_null()) fail(doc.mark, root, "the file is empty: expected version: 1 and goals");
    if (!doc.is_map()) {
      fail(doc.mark, root, "expected a map with version, defaults and goals, found " + found(doc));
    }
    auto f = read_map(doc, kFileKeys, root, "the file (top level)", kGoalKeys, "a goal key");
    if (!f[fVersion].set)
      fail(doc.mark, root, "missing key 'version': start the file with version: 1");
    if (kind_of(f[fVersion].value()) != Kind::integer || f[fVersion].value().text != "1") {
      fail(f[fVersion], root,
           "unsupported version: expected 1, found " + found(f[fVersion].value()));
    }
    if (f[fDefaults].set) read_defaults(f[fDefaults], root);
    if (!f[fGoals].set) fail(doc.mark, root, "missing key 'goals': expected a list of goals");
    Path gp{&root, "goals"};
    const Node &goals = f[fGoals].value();
    if (!goals.is_list())
      fail(f[fGoals].mark(), gp, "expected a list of goals, found " + found(goals));
    if (goals.size() == 0)
      fail(f[fGoals].mark(), gp, "expected at least one goal, found an empty list");
    std::vector<GoalDef> out;
    std::unordered_map<std::string, Mark> seen;
    long i = 0;
    for (const Node &item : goals.items) {
      Path ip{&gp, {}, i++};
      out.push_back(goal(item, ip));
      auto [at, fresh] = seen.try_emplace(out.back().id, item.mark);
      if (!fresh) {
        fail(item.mark, ip, "duplicate goal id " + quoted(out.back().id) + where_line(at->second));
      }
    }
    return out;
  }

 private:
  std::string source_;
  bool positions_;
};

const char *json_kind_name(const json::value &v) {
  switch (v.kind()) {
    case json::kind::object:
      return "an object";
    case json::kind::string:
      return "a string";
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::array:
      return "an array";
    default:
      return "a number";
  }
}

}  // namespace

std::vector<GoalDef> parse_goal_file(std::string_view yaml, std::string_view source_name) {
  Loader loader(source_name, true);
  // yaml-cpp stops at a NUL byte as at the end of the file, and says nothing of bad UTF-8 bytes:
  // both would load something other than what the file holds.
  auto at = [&](std::size_t offset) {
    std::size_t line_start = yaml.rfind('\n', offset == 0 ? 0 : offset - 1);
    line_start = line_start == std::string_view::npos || offset == 0 ? 0 : line_start + 1;
    Mark m;
    m.pos = static_cast<int>(offset);
    m.line =
        static_cast<int>(std::count(yaml.begin(), yaml.begin() + static_cast<long>(offset), '\n'));
    m.column = static_cast<int>(offset - line_start);
    return m;
  };
  if (std::size_t nul = yaml.find('\0'); nul != std::string_view::npos)
    loader.fail(at(nul), std::string(),
                "the file holds a NUL byte: it is not a text file (or it is UTF-16; save it as "
                "UTF-8)");
  if (std::size_t bad = invalid_utf8_at(yaml); bad != std::string_view::npos) {
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02x", static_cast<unsigned char>(yaml[bad]));
    loader.fail(at(bad), std::string(),
                std::string("not valid UTF-8 (byte ") + byte + "): save the file as UTF-8");
  }
  Node doc;
  try {
    doc = parse_yaml(std::string(yaml));
  } catch (const YAML::Exception &e) {
    loader.fail(e.mark, std::string(), "YAML syntax error: " + e.msg);
  }
  return loader.file(doc);
}

std::vector<TaskDef> parse_subtasks(const json::value &subtasks, const GoalDef &goal,
                                    const TaskDef &parent, std::string_view where,
                                    const std::function<bool(std::string_view)> &id_taken,
                                    const std::function<bool(std::string_view)> &ran_before,
                                    int parent_depth) {
  Loader loader(where, false);
  Path root{nullptr, "subtasks"};
  if (!subtasks.is_array()) {
    loader.fail(Mark::null_mark(), root,
                std::string("expected an array of tasks, found ") + json_kind_name(subtasks));
  }
  if (subtasks.get_array().empty()) return {};
  Node doc;
  try {
    // JSON is YAML: reusing the YAML path keeps one set of rules for files and results.
    doc = parse_yaml(json::serialize(subtasks));
  } catch (const YAML::Exception &e) {
    loader.fail(Mark::null_mark(), root, "unreadable: " + e.msg);
  }
  GoalScope scope;
  scope.goal_id = goal.id;
  scope.params = &goal.params;
  scope.id_taken = &id_taken;
  scope.base_depth = parent_depth;
  TaskDef holder = shallow_copy(parent);
  holder.tasks = loader.task_list(doc, Mark::null_mark(), root, parent, scope);
  TemplateRules rules(holder, ran_before);
  loader.check_sites(scope.sites, scope, rules, holder.id);
  // The new tasks' titles are the job's words: a run they inherit must not put them in a command.
  std::vector<const TaskDef *> work;
  for (const TaskDef &t : holder.tasks) work.push_back(&t);
  while (!work.empty()) {
    const TaskDef *t = work.back();
    work.pop_back();
    for (const TaskDef &c : t->tasks) work.push_back(&c);
    if (t->stage == Stage::agent_work && t->tasks.empty() &&
        TemplateRules::reads_task_title(t->run))
      loader.fail(Mark::null_mark(), "subtasks",
                  "task " + quoted(t->id) +
                      ": its run puts {{ task.title }} into a command, and the title of a job's "
                      "subtask is the job's text, not the goal file's: use {{ task.id }} in run, "
                      "or pass the title through env");
  }
  return std::move(holder.tasks);
}

}  // namespace gk
