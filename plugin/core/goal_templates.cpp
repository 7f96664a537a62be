// The loader's templates: `templates:` entries with their param specs, goals the file makes from
// a template, and the files `imports` names.
#include <regex>
#include <unordered_set>

#include "core/goal_file.hpp"
#include "core/goal_loader.hpp"
#include "core/ids.hpp"
#include "core/template.hpp"

namespace gk::loader {

namespace {

bool valid_param_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!letter && (i == 0 || c < '0' || c > '9')) return false;
  }
  return true;
}

// A value of the spec's type that passes its checks as far as can be known, to load the
// template's tasks once as a goal: what matters there is which params exist, not their values.
Node sample_node(const ParamSpec &spec, const Mark &mark) {
  Node n;
  n.type = Node::Type::scalar;
  n.mark = mark;
  const boost::json::value *known = spec.default_value      ? &*spec.default_value
                                    : !spec.allowed.empty() ? &spec.allowed[0]
                                                            : nullptr;
  using T = ParamSpec::Type;
  if (known) {
    n.text = known->is_string() ? std::string(known->get_string()) : boost::json::serialize(*known);
  } else {
    n.text = spec.type == T::integer ? "1" : spec.type == T::boolean ? "true" : "x";
  }
  n.quoted = spec.type == T::string;
  return n;
}

Node scalar_node(std::string text, const Mark &mark) {
  Node n;
  n.type = Node::Type::scalar;
  n.mark = mark;
  n.text = std::move(text);
  n.quoted = true;
  return n;
}

}  // namespace

ParamSpec Loader::param_spec(const Entry &e, const Path &p) const {
  const Node &key = e.key;
  if (!key.is_scalar() || !valid_param_name(key.text))
    fail(key.mark, p,
         "invalid param name " + found(key) +
             ": letters, digits and '_', not starting with a digit, at most 64 characters");
  Path at{&p, key.text};
  ParamSpec s;
  s.name = key.text;
  if (!e.value.is_map())
    fail(e.value.is_null() ? key.mark : e.value.mark, at,
         "expected a param spec such as {type: string, required: true}, found " + found(e.value));
  auto f = read_map(e.value, kParamKeys, at, "a param spec");
  if (!f[pType].set) fail(key.mark, at, "missing key 'type': string, integer or boolean");
  static constexpr std::array<std::string_view, 3> kTypes = {"string", "integer", "boolean"};
  std::string_view type = one_of(f[pType], at, kTypes);
  s.type = type == "integer"   ? ParamSpec::Type::integer
           : type == "boolean" ? ParamSpec::Type::boolean
                               : ParamSpec::Type::string;
  if (f[pRequired].set) s.required = boolean(f[pRequired], at);
  if (f[pDescription].set) s.description = text(f[pDescription], at);
  if (f[pPattern].set) {
    if (s.type != ParamSpec::Type::string)
      fail(f[pPattern], at,
           "a pattern applies to a string param, and this one is " + std::string(type));
    s.pattern = text(f[pPattern], at);
    try {
      std::regex re(s.pattern, std::regex::ECMAScript);
    } catch (const std::regex_error &err) {
      fail(f[pPattern], at, "not a valid regular expression: " + std::string(err.what()));
    }
  }
  auto check = [&](boost::json::value v, const Field &field, const Path &vp) {
    if (std::string why = param_problem(s, v); !why.empty()) fail(field.mark(), vp, why);
    return v;
  };
  if (f[pEnum].set) {
    Path ep{&at, "enum"};
    const Node &list = f[pEnum].value();
    if (!list.is_list() || list.size() == 0)
      fail(f[pEnum].mark(), ep, "expected a non-empty list of values, found " + found(list));
    ParamSpec plain = s;
    plain.pattern.clear();
    long i = 0;
    for (const Node &item : list.items) {
      Path ip{&ep, {}, i++};
      boost::json::value v = to_json_value(item, item.mark, ip);
      if (std::string why = param_problem(plain, v); !why.empty()) fail(item.mark, ip, why);
      s.allowed.push_back(std::move(v));
    }
  }
  if (f[pDefault].set) {
    Path dp{&at, "default"};
    s.default_value =
        check(to_json_value(f[pDefault].value(), f[pDefault].mark(), dp), f[pDefault], dp);
    if (s.required)
      fail(f[pDefault], at, "a param with a default is never missing: drop required or default");
  }
  return s;
}

GoalTemplate Loader::goal_template(const Node &n, const Path &p) const {
  if (!n.is_map())
    fail(n.mark, p, "expected a template (a map with id, params and tasks), found " + found(n));
  auto f = read_map(n, kGoalKeys, p, "a template", kTaskKeys, "a task key");
  if (!f[gId].set) fail(n.mark, p, "missing key 'id': every template needs an id");
  GoalTemplate t;
  t.id = id(f[gId], p);
  t.source = source_;
  Path pp{&p, "params"};
  if (f[gParams].set) {
    const Node &specs = f[gParams].value();
    if (!specs.is_map())
      fail(f[gParams].mark(), pp,
           "expected a map of param names to specs, e.g. {repo: {type: string}}, found " +
               found(specs));
    for (const Entry &e : specs.entries) t.params.push_back(param_spec(e, pp));
  }
  // The template's own words may name its params (title, description); nothing else is known
  // before a goal is made.
  for (GoalKey k : {gTitle, gDescription}) {
    if (!f[k].set) continue;
    Path kp{&p, f[k].name()};
    std::vector<Site> sites;
    templates(text(f[k], p), f[k].mark(), kp, sites);
    for (const Site &site : sites) {
      for (const TemplateRef &ref : site.refs) {
        bool known = ref.kind == TemplateRef::Kind::param &&
                     std::any_of(t.params.begin(), t.params.end(),
                                 [&](const ParamSpec &s) { return s.name == ref.path[0]; });
        if (!known)
          fail(f[k].mark(), kp,
               "expression {{ " + to_string(ref) +
                   " }}: a template's title and description may name only its params");
      }
    }
  }
  // Load it once as a goal with sample values: every error of its tasks is reported now, where
  // it was written.
  Node as_goal;
  as_goal.type = Node::Type::map;
  as_goal.mark = n.mark;
  Node params_node;
  params_node.type = Node::Type::map;
  params_node.mark = n.mark;
  for (const ParamSpec &s : t.params) {
    params_node.entries.push_back(Entry{scalar_node(s.name, n.mark), sample_node(s, n.mark)});
  }
  for (const Entry &e : n.entries) {
    if (e.key.text == "params") continue;
    if (e.key.text == "title" || e.key.text == "description") {
      // Expressions there were checked above and are rendered when a goal is made.
      as_goal.entries.push_back(Entry{e.key, scalar_node("x", e.value.mark)});
      continue;
    }
    as_goal.entries.push_back(e);
  }
  as_goal.entries.push_back(Entry{scalar_node("params", n.mark), std::move(params_node)});
  goal(as_goal, p, "template");
  boost::json::object body = to_json_value(n, n.mark, p).as_object();
  body.erase("id");
  body.erase("params");
  t.body = std::move(body);
  t.defaults = defaults.as_written;
  return t;
}

GoalDef Loader::goal_from_template(const Node &n, const Path &p,
                                   const std::vector<GoalTemplate> &known) const {
  auto f = read_map(n, kInstanceKeys, p, "a goal made from a template", kGoalKeys,
                    "a key of a goal the file declares itself; a template's goal takes only "
                    "template and params");
  const GoalTemplate *t = nullptr;
  std::string name = text(f[iTemplate], p);
  std::vector<std::string_view> names;
  for (const GoalTemplate &k : known) {
    names.push_back(k.id);
    if (k.id == name) t = &k;
  }
  if (!t)
    fail(f[iTemplate], p,
         "no template " + quoted(name) + suggestion(name, names) +
             (names.empty() ? " (the file declares and imports none)"
                            : "; templates: " + join(names)));
  boost::json::object given;
  if (f[iParams].set) {
    if (!f[iParams].value().is_map())
      fail(f[iParams], p, "expected a map of param values, found " + found(f[iParams].value()));
    given = to_json_value(f[iParams].value(), f[iParams].mark(), Path{&p, "params"}).as_object();
  }
  try {
    GoalTemplate here = *t;
    here.source = source_;
    return instantiate(here, given);
  } catch (const Error &e) {
    fail(f[iParams].set ? f[iParams].mark() : n.mark, Path{&p, "params"}, e.what());
  }
}

std::vector<std::pair<GoalTemplate, std::string>> Loader::imports(
    const Field &f, const Path &root, const ImportReader &read_import) const {
  Path ip{&root, "imports"};
  if (!f.value().is_list())
    fail(f.mark(), ip, "expected a list of file paths, found " + found(f.value()));
  std::vector<std::pair<GoalTemplate, std::string>> out;
  std::unordered_set<std::string> seen_files;
  std::unordered_map<std::string, std::string> template_from;
  long i = 0;
  for (const Node &item : f.value().items) {
    Path at{&ip, {}, i++};
    if (kind_of(item) != Kind::string || item.text.empty())
      fail(item.mark, at, "expected a file path, found " + found(item));
    if (!seen_files.insert(item.text).second)
      fail(item.mark, at, "imported twice: " + quoted(item.text));
    std::string text;
    try {
      text = read_import(item.text);
    } catch (const Error &e) {
      fail(item.mark, at, e.what());
    }
    std::vector<GoalTemplate> got;
    try {
      got = read_import_file(text, item.text);
    } catch (const Error &e) {
      fail(item.mark, at, "in the imported file: " + std::string(e.what()));
    }
    for (GoalTemplate &t : got) {
      auto [where, fresh] = template_from.try_emplace(t.id, item.text);
      if (!fresh)
        fail(item.mark, at,
             "template " + quoted(t.id) + " is defined in both " + where->second + " and " +
                 item.text);
      // A goal made from it belongs to the file that imports it, and is driven with its goals.
      t.source = source_;
      out.emplace_back(std::move(t), item.text);
    }
  }
  return out;
}

}  // namespace gk::loader
