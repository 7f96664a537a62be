// The loader's typed values: text, ids, booleans, integers in range, durations, argv lists, env
// maps, templates, and plain JSON for params.
#include "core/goal_loader.hpp"

#include <climits>
#include <cstdlib>
#include <unordered_set>

#include "core/duration.hpp"
#include "core/ids.hpp"
#include "core/json_util.hpp"
#include "core/limits.hpp"

namespace gk::loader {

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

std::string Loader::text(const Field &f, const Path &owner) const {
  Kind k = kind_of(f.value());
  if (k != Kind::string && k != Kind::integer && k != Kind::number) {
    fail(f, owner, "expected a string, found " + found(f.value()));
  }
  return f.value().text;
}

const std::string &Loader::id(const Field &f, const Path &owner) const {
  Kind k = kind_of(f.value());
  if (k != Kind::string && k != Kind::integer) {
    fail(f, owner, "expected an id (a string), found " + found(f.value()));
  }
  const std::string &s = f.value().text;
  if (!is_valid_id(s)) fail(f, owner, id_error(s));
  return s;
}

bool Loader::boolean(const Field &f, const Path &owner) const {
  if (kind_of(f.value()) != Kind::boolean) {
    fail(f, owner, "expected true or false, found " + found(f.value()));
  }
  return f.value().text[0] == 't' || f.value().text[0] == 'T';
}

int64_t Loader::integer(const Field &f, const Path &owner, int64_t min, int64_t max) const {
  return integer_node(f.value(), f.mark(), Path{&owner, f.name()}, min, max);
}

int64_t Loader::integer_node(const Node &n, const Mark &m, const Path &p, int64_t min,
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

int64_t Loader::duration(const Field &f, const Path &owner) const {
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

SessionPolicy Loader::policy(const Field &f, const Path &owner) const {
  return *session_policy_from_string(one_of(f, owner, kPolicyNames));
}

std::string Loader::scalar_text(const Node &n, const Mark &m, const Path &p,
                                const char *what) const {
  Kind k = kind_of(n);
  if (k == Kind::map || k == Kind::list || k == Kind::null) {
    fail(m, p, std::string("expected ") + what + ", found " + found(n));
  }
  return n.text;
}

void Loader::templates(const std::string &s, const Mark &m, const Path &p,
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

std::vector<std::string> Loader::argv(const Field &f, const Path &owner,
                                      std::vector<Site> &sites) const {
  Path p{&owner, f.name()};
  if (kind_of(f.value()) == Kind::string) {
    fail(f.mark(), p,
         "run must be a list (argv), not a shell string: write run: [\"" + f.value().text +
             "\"] or split the words yourself, e.g. run: [\"./agent.sh\", \"--fast\"]");
  }
  if (!f.value().is_list()) fail(f.mark(), p, "expected a list (argv), found " + found(f.value()));
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

void Loader::env(const Field &f, const Path &owner, std::map<std::string, std::string> &into,
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

json::value Loader::to_json_value(const Node &n, const Mark &m, const Path &p) const {
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

}  // namespace gk::loader
