#include "core/signal_match.hpp"

#include <algorithm>
#include <cctype>

#include "core/error.hpp"
#include "core/json_util.hpp"

namespace gk {

namespace json = boost::json;

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<int64_t> pr_number(const json::value *v) {
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  if (v->is_string()) {
    std::string_view s = v->as_string();
    if (!s.empty() && s.front() == '#') s.remove_prefix(1);
    if (s.empty() || s.size() > 18) return std::nullopt;
    int64_t n = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + (c - '0');
    }
    return n;
  }
  return std::nullopt;
}

namespace {

std::optional<std::string> text_at(const json::object &o, const char *key) {
  const auto *v = o.if_contains(key);
  if (!v || !v->is_string() || v->as_string().empty()) return std::nullopt;
  return std::string(v->as_string());
}

// The pull request a leaf config names, from repo + pr or from its pr_url.
std::optional<std::pair<std::string, int64_t>> leaf_pr(const json::object &leaf) {
  auto repo = text_at(leaf, "repo");
  auto pr = pr_number(leaf.if_contains("pr"));
  if (repo && pr) return std::make_pair(ascii_lower(*repo), *pr);
  if (auto url = text_at(leaf, "pr_url")) return parse_pr_url(*url);
  return std::nullopt;
}

void collect(const json::object &config, const std::string &path, std::vector<GateLeaf> &out) {
  for (const char *mode : {"all", "any"}) {
    const auto *list = config.if_contains(mode);
    if (!list || !list->is_array()) continue;
    const auto &arr = list->as_array();
    for (size_t k = 0; k < arr.size(); ++k) {
      if (!arr[k].is_object()) continue;
      std::string sub = (path.empty() ? "" : path + ".") + mode + "." + std::to_string(k);
      collect(arr[k].as_object(), sub, out);
    }
    return;
  }
  out.push_back({path, &config});
}

Verdict evaluate_at(const json::object &config, const json::object &parts,
                    const std::string &path) {
  for (const char *mode : {"all", "any"}) {
    const auto *list = config.if_contains(mode);
    if (!list || !list->is_array()) continue;
    const auto &arr = list->as_array();
    bool all = std::string_view(mode) == "all";
    size_t passed = 0, failed = 0;
    for (size_t k = 0; k < arr.size(); ++k) {
      std::string sub = (path.empty() ? "" : path + ".") + mode + "." + std::to_string(k);
      Verdict v = arr[k].is_object() ? evaluate_at(arr[k].as_object(), parts, sub) : Verdict::wait;
      passed += v == Verdict::pass;
      failed += v == Verdict::fail;
    }
    if (all)
      return failed > 0 ? Verdict::fail : passed == arr.size() ? Verdict::pass : Verdict::wait;
    return passed > 0 ? Verdict::pass : failed == arr.size() ? Verdict::fail : Verdict::wait;
  }
  const auto *p = parts.if_contains(path);
  if (!p || !p->is_object()) return Verdict::wait;
  const auto *s = p->as_object().if_contains("status");
  if (!s || !s->is_string()) return Verdict::wait;
  return s->as_string() == "pass" ? Verdict::pass : Verdict::fail;
}

}  // namespace

bool is_signal_type(std::string_view type) {
  return type == "gh_ci" || type == "gh_review" || type == "centaur_review" ||
         type == "human_approval";
}

std::optional<std::pair<std::string, int64_t>> parse_pr_url(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::nullopt;
  std::string_view rest = url.substr(scheme + 3);
  auto slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  rest = rest.substr(slash + 1);
  // Split the path into segments, ignoring a query or fragment.
  rest = rest.substr(0, rest.find_first_of("?#"));
  std::vector<std::string_view> seg;
  while (!rest.empty()) {
    auto s = rest.find('/');
    seg.push_back(rest.substr(0, s));
    if (s == std::string_view::npos) break;
    rest = rest.substr(s + 1);
  }
  for (size_t k = 0; k + 3 < seg.size(); ++k) {
    if (seg[k + 2] != "pull" && seg[k + 2] != "pulls") continue;
    json::value n(seg[k + 3]);
    auto pr = pr_number(&n);
    if (!pr || seg[k].empty() || seg[k + 1].empty()) continue;
    return std::make_pair(ascii_lower(std::string(seg[k]) + "/" + std::string(seg[k + 1])), *pr);
  }
  return std::nullopt;
}

SignalQuery parse_signal(const json::object &doc) {
  const char *what = "signal";
  SignalQuery q;
  check_keys(doc, {"type", "repo", "pr", "pr_url", "sha", "key", "task_id", "status", "artifacts"},
             what);
  auto type = opt_string(doc, "type", what);
  if (!type) fail(Errc::invalid, "signal: \"type\" is required");
  if (!is_signal_type(*type))
    fail(Errc::invalid, "signal: unknown type \"" + *type +
                            "\" (expected gh_ci, gh_review, centaur_review or human_approval)");
  q.type = *type;
  auto status = opt_string(doc, "status", what);
  if (!status || (*status != "pass" && *status != "fail"))
    fail(Errc::invalid, "signal: \"status\" must be \"pass\" or \"fail\"");
  q.pass = *status == "pass";
  if (auto repo = opt_string(doc, "repo", what)) q.repo = ascii_lower(*repo);
  if (const auto *pr = doc.if_contains("pr"); pr && !pr->is_null()) {
    q.pr = pr_number(pr);
    if (!q.pr) fail(Errc::invalid, "signal: \"pr\" must be a pull request number");
  }
  if (auto url = opt_string(doc, "pr_url", what)) {
    auto parsed = parse_pr_url(*url);
    if (!parsed) fail(Errc::invalid, "signal: \"pr_url\" is not a pull request URL: " + *url);
    q.pr_url = *url;
    if (q.repo && *q.repo != parsed->first)
      fail(Errc::invalid, "signal: \"pr_url\" and \"repo\" name different repositories");
    q.repo = parsed->first;
    q.pr = parsed->second;
  }
  if (auto sha = opt_string(doc, "sha", what)) q.sha = ascii_lower(*sha);
  q.key = opt_string(doc, "key", what);
  q.task_id = opt_string(doc, "task_id", what);
  if (const auto *a = doc.if_contains("artifacts"); a && !a->is_null()) {
    if (!a->is_object()) fail(Errc::invalid, "signal: \"artifacts\" must be an object");
    q.artifacts = a->as_object();
  }
  if (!q.task_id && !q.key && !q.sha && !(q.repo && q.pr))
    fail(Errc::invalid, "signal: names no gate; give repo and pr, pr_url, sha, key or task_id");
  return q;
}

bool leaf_matches(const json::object &leaf, const SignalQuery &q) {
  auto type = text_at(leaf, "type");
  if (!type || *type != q.type) return false;
  auto pr = leaf_pr(leaf);
  bool by_pr = q.repo && q.pr && pr && pr->first == *q.repo && pr->second == *q.pr;
  if (q.type == "human_approval") {
    auto key = text_at(leaf, "key");
    if (q.key) return key && *key == *q.key;
    return by_pr;
  }
  if (q.type == "gh_ci" && q.sha) {
    auto sha = text_at(leaf, "sha");
    if (sha && ascii_lower(*sha) == *q.sha) {
      auto repo = text_at(leaf, "repo");
      return !q.repo || (repo && ascii_lower(*repo) == *q.repo);
    }
    return by_pr;
  }
  return by_pr;
}

std::vector<GateLeaf> gate_leaves(const json::object &config) {
  std::vector<GateLeaf> out;
  collect(config, "", out);
  return out;
}

Verdict evaluate_gate(const json::object &config, const json::object &parts) {
  return evaluate_at(config, parts, "");
}

std::string pull_web_url(const std::string &api_url, const std::string &repo, int64_t pr) {
  std::string base = api_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::string web;
  if (base == "https://api.github.com")
    web = "https://github.com";
  else if (base.ends_with("/api/v3"))
    web = base.substr(0, base.size() - 7);
  else
    web = base;
  return web + "/" + repo + "/pull/" + std::to_string(pr);
}

}  // namespace gk
