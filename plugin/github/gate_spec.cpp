#include "github/gate_spec.hpp"

#include <cctype>
#include <charconv>

namespace gk::github {

namespace json = boost::json;

namespace {

bool valid_part(std::string_view s) {
  if (s.empty() || s.size() > 100 || s == "." || s == "..") return false;
  for (unsigned char c : s)
    if (!std::isalnum(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

bool valid_sha(std::string_view s) {
  if (s.size() < 7 || s.size() > 64) return false;
  for (unsigned char c : s)
    if (!std::isxdigit(c)) return false;
  return true;
}

}  // namespace

std::string GateSpec::target() const {
  if (pr > 0) return repo + "#" + std::to_string(pr);
  return repo + "@" + sha.substr(0, 12);
}

std::variant<GateSpec, std::string> parse_gate(const json::object &config) {
  GateSpec s;
  const auto *type = config.if_contains("type");
  std::string t = type && type->is_string() ? std::string(type->as_string()) : "";
  if (t == "gh_ci")
    s.type = GateSpec::Type::ci;
  else if (t == "gh_review")
    s.type = GateSpec::Type::review;
  else
    return "not a GitHub gate: \"type\" is \"" + t + "\"";
  const std::string what = t + " gate: ";

  const auto *repo = config.if_contains("repo");
  if (!repo || !repo->is_string()) return what + "\"repo\" must be \"owner/name\"";
  s.repo = std::string(repo->as_string());
  auto slash = s.repo.find('/');
  if (slash == std::string::npos)
    return what + "\"repo\" must be \"owner/name\", not \"" + s.repo + "\"";
  s.owner = s.repo.substr(0, slash);
  s.name = s.repo.substr(slash + 1);
  if (!valid_part(s.owner) || !valid_part(s.name))
    return what + "\"repo\" must be \"owner/name\", not \"" + s.repo + "\"";

  if (const auto *pr = config.if_contains("pr"); pr && !pr->is_null()) {
    if (pr->is_int64()) {
      s.pr = pr->as_int64();
    } else if (pr->is_uint64()) {
      s.pr = static_cast<int64_t>(pr->as_uint64() > INT64_MAX ? 0 : pr->as_uint64());
    } else if (pr->is_string()) {
      std::string_view v = pr->as_string();
      if (v.starts_with("#")) v.remove_prefix(1);
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), s.pr);
      if (ec != std::errc() || p != v.data() + v.size()) s.pr = 0;
    }
    if (s.pr <= 0) return what + "\"pr\" must be a pull request number";
  }
  if (const auto *sha = config.if_contains("sha"); sha && !sha->is_null()) {
    if (!sha->is_string() || !valid_sha(sha->as_string()))
      return what + "\"sha\" must be a commit id (hex)";
    s.sha = std::string(sha->as_string());
  }
  if (s.type == GateSpec::Type::ci) {
    if (s.pr == 0 && s.sha.empty()) return what + "needs \"pr\" or \"sha\"";
    if (s.pr > 0) s.sha.clear();  // the pull request's head commit decides
    if (const auto *checks = config.if_contains("checks"); checks && !checks->is_null()) {
      if (!checks->is_array()) return what + "\"checks\" must be a list of check names";
      for (const auto &c : checks->as_array()) {
        if (!c.is_string() || c.as_string().empty())
          return what + "\"checks\" must be a list of check names";
        s.checks.emplace_back(c.as_string());
      }
    }
  } else {
    if (s.pr == 0) return what + "needs \"pr\"";
    if (const auto *m = config.if_contains("min_approvals"); m && !m->is_null()) {
      if (!m->is_int64() || m->as_int64() < 0 || m->as_int64() > 100)
        return what + "\"min_approvals\" must be a number 0..100";
      s.min_approvals = m->as_int64();
    }
  }
  return s;
}

}  // namespace gk::github
