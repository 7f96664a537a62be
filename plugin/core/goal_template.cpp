#include "core/goal_template.hpp"

#include <algorithm>
#include <regex>

#include "core/error.hpp"
#include "core/fnv1a.hpp"
#include "core/ids.hpp"
#include "core/template.hpp"

namespace gk {

namespace json = boost::json;

namespace {

std::optional<ParamSpec::Type> type_from_string(std::string_view s) {
  if (s == "string") return ParamSpec::Type::string;
  if (s == "integer") return ParamSpec::Type::integer;
  if (s == "boolean") return ParamSpec::Type::boolean;
  return std::nullopt;
}

std::string shown(const json::value &v) {
  std::string s = v.is_string() ? std::string(v.get_string()) : json::serialize(v);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return "'" + s + "'";
}

// "acme/shop": GitHub compares owners and names without case.
bool looks_like_repo(std::string_view s) {
  std::size_t slash = s.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == s.size()) return false;
  if (s.find('/', slash + 1) != std::string_view::npos) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == '/';
    if (!ok) return false;
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char &c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Letters, digits, '_' and single '-' only: dots could make ".." or a ".lock" ending.
std::string slug(std::string_view s) {
  std::string out;
  for (char c : lower(s)) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (keep) {
      out += c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

struct ParamsOnly final : TemplateLookup {
  explicit ParamsOnly(const json::object &p) : params(p) {}
  const json::object &params;
  const json::value *param(const std::vector<std::string> &path) const override {
    return find_json_path(params, path);
  }
  const json::value *artifact(std::string_view, const std::vector<std::string> &) const override {
    return nullptr;
  }
  std::optional<std::string> summary(std::string_view) const override { return std::nullopt; }
  std::optional<std::string> builtin(std::string_view, std::string_view) const override {
    return std::nullopt;
  }
};

}  // namespace

const char *to_string(ParamSpec::Type t) {
  switch (t) {
    case ParamSpec::Type::integer:
      return "integer";
    case ParamSpec::Type::boolean:
      return "boolean";
    case ParamSpec::Type::string:
      break;
  }
  return "string";
}

json::object to_json(const GoalTemplate &t) {
  json::array params;
  for (const ParamSpec &p : t.params) {
    json::object o{{"name", p.name}, {"type", to_string(p.type)}, {"required", p.required}};
    if (p.default_value) o["default"] = *p.default_value;
    if (!p.allowed.empty()) o["enum"] = json::array(p.allowed.begin(), p.allowed.end());
    if (!p.pattern.empty()) o["pattern"] = p.pattern;
    if (!p.description.empty()) o["description"] = p.description;
    params.push_back(std::move(o));
  }
  return {{"id", t.id},
          {"source", t.source},
          {"params", std::move(params)},
          {"body", t.body},
          {"defaults", t.defaults}};
}

GoalTemplate goal_template_from_json(const json::object &o) {
  GoalTemplate t;
  t.id = o.at("id").as_string();
  t.source = o.at("source").as_string();
  for (const json::value &v : o.at("params").as_array()) {
    const json::object &p = v.as_object();
    ParamSpec s;
    s.name = p.at("name").as_string();
    s.type = type_from_string(p.at("type").as_string()).value_or(ParamSpec::Type::string);
    s.required = p.at("required").as_bool();
    if (const json::value *d = p.if_contains("default")) s.default_value = *d;
    if (const json::value *e = p.if_contains("enum")) {
      s.allowed.assign(e->as_array().begin(), e->as_array().end());
    }
    if (const json::value *r = p.if_contains("pattern")) s.pattern = r->as_string();
    if (const json::value *d = p.if_contains("description")) s.description = d->as_string();
    t.params.push_back(std::move(s));
  }
  t.body = o.at("body").as_object();
  t.defaults = o.at("defaults").as_object();
  return t;
}

std::string param_problem(const ParamSpec &spec, json::value &value) {
  using T = ParamSpec::Type;
  switch (spec.type) {
    case T::integer:
      if (value.is_string()) {
        const json::string &s = value.get_string();
        std::size_t i = s.starts_with("-") ? 1 : 0;
        bool digits = s.size() > i && s.size() <= 18 + i;
        for (std::size_t k = i; k < s.size(); ++k) digits &= s[k] >= '0' && s[k] <= '9';
        if (digits) value = static_cast<int64_t>(std::stoll(std::string(s)));
      }
      if (value.is_uint64() && value.get_uint64() <= INT64_MAX) {
        value = static_cast<int64_t>(value.get_uint64());
      }
      if (!value.is_int64()) return "expected an integer, found " + shown(value);
      break;
    case T::boolean:
      if (value.is_string() && (value.get_string() == "true" || value.get_string() == "false")) {
        value = value.get_string() == "true";
      }
      if (!value.is_bool()) return "expected true or false, found " + shown(value);
      break;
    case T::string:
      if (value.is_int64() || value.is_uint64()) value = json::string(json::serialize(value));
      if (!value.is_string()) return "expected a string, found " + shown(value);
      break;
  }
  if (!spec.allowed.empty()) {
    bool listed = false;
    std::string names;
    for (const json::value &a : spec.allowed) {
      listed |= a == value;
      names += (names.empty() ? "" : ", ") + shown(a);
    }
    if (!listed) return "expected one of " + names + ", found " + shown(value);
  }
  if (!spec.pattern.empty() && value.is_string()) {
    // Checked when the file was loaded, so it compiles.
    std::regex re(spec.pattern, std::regex::ECMAScript);
    const json::string &s = value.get_string();
    if (!std::regex_match(s.begin(), s.end(), re)) {
      return "value " + shown(value) + " does not match the pattern " + spec.pattern;
    }
  }
  return {};
}

json::object resolve_params(const GoalTemplate &t, const json::object &given) {
  std::string head = "template '" + t.id + "': ";
  for (const auto &kv : given) {
    bool known = false;
    for (const ParamSpec &p : t.params) known |= p.name == kv.key();
    if (!known) {
      std::string names;
      for (const ParamSpec &p : t.params) names += (names.empty() ? "" : ", ") + p.name;
      fail(Errc::invalid, head + "no param '" + std::string(kv.key()) + "'" +
                              (names.empty() ? " (it has none)" : "; its params: " + names));
    }
  }
  json::object out;
  for (const ParamSpec &p : t.params) {
    json::value v;
    if (const json::value *g = given.if_contains(p.name)) {
      v = *g;
    } else if (p.default_value) {
      v = *p.default_value;
    } else if (p.required) {
      fail(Errc::invalid, head + "param '" + p.name + "' is required (" + to_string(p.type) +
                              (p.description.empty() ? "" : ": " + p.description) + ")");
    } else {
      continue;
    }
    if (std::string why = param_problem(p, v); !why.empty()) {
      fail(Errc::invalid, head + "param '" + p.name + "': " + why);
    }
    out[p.name] = std::move(v);
  }
  return out;
}

std::string instance_goal_id(const GoalTemplate &t, const json::object &params) {
  // The required params identify the goal; optional ones tune it. A param added later with a
  // default must not rename the goals made before, or one pull request would get two goals.
  const bool any_required =
      std::any_of(t.params.begin(), t.params.end(), [](const ParamSpec &p) { return p.required; });
  std::string readable = t.id;
  json::array fingerprint;
  for (const ParamSpec &p : t.params) {
    if (any_required && !p.required) continue;
    const json::value *v = params.if_contains(p.name);
    if (!v) {
      fingerprint.emplace_back(nullptr);
      continue;
    }
    std::string part;
    if (v->is_string()) {
      std::string_view s = v->get_string();
      if (looks_like_repo(s)) {
        fingerprint.emplace_back(lower(s));
        part = slug(s.substr(s.find('/') + 1));
      } else {
        fingerprint.push_back(*v);
        part = slug(s);
      }
    } else {
      fingerprint.push_back(*v);
      if (v->is_int64()) part = std::to_string(v->get_int64());
    }
    if (!part.empty()) readable += "-" + part;
  }
  std::string hash = fnv1a_hex(t.id + "\n" + json::serialize(fingerprint)).substr(0, 6);
  if (readable.size() > kMaxIdLength - hash.size() - 1) {
    readable.resize(kMaxIdLength - hash.size() - 1);
    while (!readable.empty() && (readable.back() == '-' || readable.back() == '.')) {
      readable.pop_back();
    }
  }
  return readable + "-" + hash;
}

std::string instance_file(const GoalTemplate &t, const std::string &goal_id,
                          const json::object &params) {
  json::object goal = t.body;
  ParamsOnly lookup(params);
  for (const char *key : {"title", "description"}) {
    if (json::value *v = goal.if_contains(key); v && v->is_string()) {
      *v = render_template(v->get_string(), lookup);
    }
  }
  goal["id"] = goal_id;
  goal["params"] = params;
  json::object file{{"version", 1}, {"goals", json::array{std::move(goal)}}};
  if (!t.defaults.empty()) file["defaults"] = t.defaults;
  return json::serialize(file);
}

}  // namespace gk
