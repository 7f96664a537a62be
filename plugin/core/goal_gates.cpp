// Gates (`wait_for`): each type's keys and what it needs, compound parts, templates in gate keys.
#include "core/goal_loader.hpp"

#include <climits>
#include <cstdlib>
#include <unordered_set>

#include "core/duration.hpp"
#include "core/ids.hpp"
#include "core/json_util.hpp"
#include "core/limits.hpp"

namespace gk::loader {

json::object Loader::gate(const Node &n, const Mark &m, const Path &p,
                          std::vector<Site> &sites) const {
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
    if (!f.key().is_scalar()) fail(f.key().mark, p, "expected a key name, found " + found(f.key()));
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

json::object Loader::merge_gate(const Node &n, const Mark &m, const Path &p,
                                std::vector<Site> &sites) const {
  if (!n.is_map())
    fail(m, p,
         "expected a map such as {repo: owner/name, pr: 12, method: squash}, found " + found(n));
  static constexpr std::array<std::string_view, 6> kKeys = {
      "repo", "pr", "method", "update_branch", "delete_branch", "timeout"};
  static constexpr std::array<std::string_view, 3> kMethods = {"merge", "squash", "rebase"};
  auto f = read_map(n, kKeys, p, "merge");
  json::object out{{"type", "gh_merge"}};
  if (!f[0].set) fail(n.mark, p, "a merge needs repo (owner/name)");
  if (!f[1].set) fail(n.mark, p, "a merge needs pr (the pull request number)");
  for (int k : {0, 1, 5})
    if (f[k].set) gate_value(f[k], p, out, sites);
  // Each may be an expression (a template's param); the checker then checks the value.
  auto expression = [&](const Field &field, const char *name) {
    if (!field.set || kind_of(field.value()) != Kind::string || !has_template(field.value().text))
      return false;
    templates(field.value().text, field.mark(), Path{&p, name}, sites);
    out.emplace(name, field.value().text);
    return true;
  };
  if (!expression(f[2], "method"))
    out.emplace("method", f[2].set ? one_of(f[2], p, kMethods) : "merge");
  if (!expression(f[3], "update_branch"))
    out.emplace("update_branch", f[3].set && boolean(f[3], p));
  if (!expression(f[4], "delete_branch"))
    out.emplace("delete_branch", f[4].set && boolean(f[4], p));
  return out;
}

void Loader::gate_value(const Field &f, const Path &p, json::object &out,
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
      if (name == "repo" && !valid_repo(s)) fail(m, kp, "expected owner/name, found " + quoted(s));
      if (name == "pr_url" && s.rfind("https://", 0) != 0 && s.rfind("http://", 0) != 0) {
        fail(m, kp, "expected a URL (https://...), found " + quoted(s));
      }
    }
    templates(s, m, kp, sites);
    out.emplace(name, s);
  }
}

bool Loader::valid_repo(std::string_view s) {
  std::size_t slash = s.find('/');
  if (slash == 0 || slash == s.npos || slash + 1 == s.size()) return false;
  return s.find_first_of("/ \t", slash + 1) == s.npos && s.substr(0, slash).find(' ') == s.npos;
}

}  // namespace gk::loader
