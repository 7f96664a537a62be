#include "core/trigger.hpp"

#include <array>

namespace gk {

namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 6> kPullFields = {"repo",   "number",   "title",
                                                         "author", "head_sha", "url"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

json::value field(const FoundPullRequest &pr, std::string_view name) {
  if (name == "repo") return json::string(pr.repo);
  if (name == "number") return pr.number;
  if (name == "title") return json::string(pr.title);
  if (name == "author") return json::string(pr.author);
  if (name == "head_sha") return json::string(pr.head_sha);
  return json::string(pr.url);
}

// Calls `each(expression)` for every {{ ... }} and `text(piece)` for the rest; false when a
// "{{" is not closed.
template <class Expr, class Text>
bool scan(std::string_view s, Expr each, Text text) {
  for (;;) {
    std::size_t open = s.find("{{");
    if (open == std::string_view::npos) {
      text(s);
      return true;
    }
    std::size_t close = s.find("}}", open + 2);
    if (close == std::string_view::npos) return false;
    text(s.substr(0, open));
    each(trim(s.substr(open + 2, close - open - 2)));
    s.remove_prefix(close + 2);
  }
}

}  // namespace

bool is_pull_field(std::string_view name) {
  for (std::string_view f : kPullFields)
    if (f == name) return true;
  return false;
}

std::string pull_expression_problem(std::string_view text) {
  std::string problem;
  bool closed = scan(
      text,
      [&](std::string_view e) {
        if (!problem.empty()) return;
        if (!e.starts_with("pr.") || !is_pull_field(e.substr(3))) {
          problem = "expression {{ " + std::string(e) +
                    " }}: a trigger's params may name pr.repo, pr.number, pr.title, pr.author, "
                    "pr.head_sha or pr.url";
        }
      },
      [](std::string_view) {});
  if (!closed) return "an expression is not closed: expected }} after {{";
  return problem;
}

json::object render_trigger_params(const TriggerDef &t, const FoundPullRequest &pr) {
  json::object out;
  for (const auto &kv : t.params) {
    if (!kv.value().is_string()) {
      out[kv.key()] = kv.value();
      continue;
    }
    std::string_view s = kv.value().get_string();
    std::string_view whole = trim(s);
    if (whole.starts_with("{{") && whole.ends_with("}}") &&
        whole.find("{{", 2) == std::string_view::npos) {
      std::string_view e = trim(whole.substr(2, whole.size() - 4));
      if (e.starts_with("pr.")) {
        out[kv.key()] = field(pr, e.substr(3));
        continue;
      }
    }
    std::string rendered;
    scan(
        s,
        [&](std::string_view e) {
          json::value v = field(pr, e.substr(3));
          rendered += v.is_string() ? std::string(v.get_string()) : json::serialize(v);
        },
        [&](std::string_view piece) { rendered += piece; });
    out[kv.key()] = rendered;
  }
  return out;
}

std::string pull_name(std::string_view repo, int64_t number) {
  return std::string(repo) + "#" + std::to_string(number);
}

json::object to_json(const TriggerDef &t) {
  return {{"id", t.id},
          {"source", t.source},
          {"query", t.query},
          {"template", t.template_id},
          {"params", t.params},
          {"every_s", t.every_s},
          {"max_goals", t.max_goals}};
}

TriggerDef trigger_from_json(const json::object &o) {
  TriggerDef t;
  t.id = o.at("id").as_string();
  t.source = o.at("source").as_string();
  t.query = o.at("query").as_string();
  t.template_id = o.at("template").as_string();
  t.params = o.at("params").as_object();
  t.every_s = o.at("every_s").as_int64();
  t.max_goals = static_cast<int>(o.at("max_goals").as_int64());
  return t;
}

}  // namespace gk
