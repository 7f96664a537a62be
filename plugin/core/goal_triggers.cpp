// The loader's triggers: `triggers: [{id, discover: {query, template, params, every,
// max_goals}}]`, checked against the template they name.
#include "core/goal_loader.hpp"
#include "core/limits.hpp"

namespace gk::loader {

TriggerDef Loader::trigger(const Node &n, const Path &p,
                           const std::vector<GoalTemplate> &known) const {
  if (!n.is_map())
    fail(n.mark, p, "expected a trigger (a map with id and discover), found " + found(n));
  auto f = read_map(n, kTriggerKeys, p, "a trigger");
  if (!f[trId].set) fail(n.mark, p, "missing key 'id': every trigger needs an id");
  if (!f[trDiscover].set) fail(n.mark, p, "missing key 'discover': what to search for");
  TriggerDef t;
  t.id = id(f[trId], p);
  t.source = source_;
  Path dp{&p, "discover"};
  const Node &d = f[trDiscover].value();
  if (!d.is_map())
    fail(f[trDiscover].mark(), dp,
         "expected a map with query, template and params, found " + found(d));
  auto g = read_map(d, kDiscoverKeys, dp, "discover");
  if (!g[dsQuery].set)
    fail(d.mark, dp,
         "missing key 'query': a GitHub search, e.g. \"repo:acme/shop is:pr is:open "
         "label:gk-shepherd\"");
  t.query = text(g[dsQuery], dp);
  if (t.query.find_first_not_of(" \t") == std::string::npos)
    fail(g[dsQuery], dp, "the query is empty");
  if (!g[dsTemplate].set) fail(d.mark, dp, "missing key 'template': the template of the goals");
  t.template_id = text(g[dsTemplate], dp);
  const GoalTemplate *tmpl = nullptr;
  std::vector<std::string_view> names;
  for (const GoalTemplate &k : known) {
    names.push_back(k.id);
    if (k.id == t.template_id) tmpl = &k;
  }
  if (!tmpl)
    fail(g[dsTemplate], dp,
         "no template " + quoted(t.template_id) + suggestion(t.template_id, names) +
             (names.empty() ? " (the file declares and imports none)"
                            : "; templates: " + join(names)));
  Path pp{&dp, "params"};
  if (g[dsParams].set) {
    const Node &params = g[dsParams].value();
    if (!params.is_map())
      fail(g[dsParams].mark(), pp, "expected a map of param values, found " + found(params));
    for (const Entry &e : params.entries) {
      Path at{&pp, e.key.text};
      Mark m = e.value.is_null() ? e.key.mark : e.value.mark;
      const ParamSpec *spec = nullptr;
      std::vector<std::string_view> pnames;
      for (const ParamSpec &s : tmpl->params) {
        pnames.push_back(s.name);
        if (s.name == e.key.text) spec = &s;
      }
      if (!spec)
        fail(e.key.mark, at,
             "template " + quoted(tmpl->id) + " has no param " + quoted(e.key.text) +
                 suggestion(e.key.text, pnames) + "; its params: " + join(pnames));
      boost::json::value v = to_json_value(e.value, m, at);
      if (v.is_string() && v.get_string().find("{{") != boost::json::string::npos) {
        if (std::string why = pull_expression_problem(v.get_string()); !why.empty())
          fail(m, at, why);
      } else if (std::string why = param_problem(*spec, v); !why.empty()) {
        fail(m, at, why);
      }
      t.params[e.key.text] = std::move(v);
    }
  }
  for (const ParamSpec &s : tmpl->params) {
    if (s.required && !t.params.contains(s.name))
      fail(g[dsParams].set ? g[dsParams].mark() : d.mark, pp,
           "template " + quoted(tmpl->id) + " requires param " + quoted(s.name) + ", e.g. " +
               s.name + ": \"{{ pr." + (s.type == ParamSpec::Type::integer ? "number" : "repo") +
               " }}\"");
  }
  if (g[dsEvery].set) {
    t.every_s = duration(g[dsEvery], dp);
    if (t.every_s < 10)
      fail(g[dsEvery], dp,
           "discovery runs at most every 10 seconds, found " + g[dsEvery].value().text);
  }
  if (g[dsMaxGoals].set) t.max_goals = static_cast<int>(integer(g[dsMaxGoals], dp, 1, 100000));
  return t;
}

}  // namespace gk::loader
