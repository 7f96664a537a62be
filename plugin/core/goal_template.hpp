// Goal templates: a goal file's `templates:` are recipes for goals, each with typed params. A
// goal made from one (gk_instantiate, discovery) holds the param values as a goal's `params` does
// and keeps the definition it was made with; a template loaded again replaces the recipe for the
// goals made after. The goal id comes from the template id and the values by one rule, so the
// same values always name the same goal (one pull request never gets two goals).
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gk {

struct ParamSpec {
  enum class Type { string, integer, boolean };
  std::string name;
  Type type = Type::string;
  bool required = false;
  std::optional<boost::json::value> default_value;
  std::vector<boost::json::value> allowed;  // `enum`; empty = any value of the type
  std::string pattern;                      // ECMAScript regex a string must match in full
  std::string description;
};

const char *to_string(ParamSpec::Type t);

struct GoalTemplate {
  std::string id;
  std::string source;  // the file that loaded it (its goals are driven with that file's)
  std::vector<ParamSpec> params;
  // What the file wrote, as JSON: the template's goal keys (tasks, title, ...) without id and
  // params, and the defaults of the file that declared it. A goal is made by loading them again.
  boost::json::object body;
  boost::json::object defaults;
};

boost::json::object to_json(const GoalTemplate &t);
GoalTemplate goal_template_from_json(const boost::json::object &o);

// Checks `given` against the template's params: unknown names, missing required ones, types,
// `enum` and `pattern`; fills in defaults. Strings are converted where the type asks for it
// ("11" is the integer 11, "true" the boolean), since values arrive from command lines and
// from search results as text. gk::Error(invalid) names the template, the param and the rule,
// e.g. "template 'shepherd': param 'pr': expected an integer, found 'abc'".
boost::json::object resolve_params(const GoalTemplate &t, const boost::json::object &given);

// One value checked against its spec (resolve_params does this for each); "" when it fits, else
// what is wrong ("expected an integer, found 'abc'").
std::string param_problem(const ParamSpec &spec, boost::json::value &value);

// The id of the goal made from template `template_id` with the (resolved) params. The params that
// identify a goal are the required ones (all of them when none is required): optional params tune
// a goal, and a param a template gains later must not rename the goals made before. The id is the
// template id, then each identifying param in declaration order as a readable slug (an
// "owner/name" string gives its name, a number its digits; booleans and empty values are left
// out), then 6 hex digits of a hash of their values (an "owner/name" lower-cased, as GitHub
// compares them), e.g. "shepherd-shop-11-3f9a2c". Always a valid id within kMaxIdLength: long
// slugs are cut.
std::string instance_goal_id(const GoalTemplate &t, const boost::json::object &params);

// The goal-file text (JSON, which is YAML) of the goal made from the template: its defaults,
// and the body with `id`, `params` and the expressions of `title` and `description` filled in.
std::string instance_file(const GoalTemplate &t, const std::string &goal_id,
                          const boost::json::object &params);

}  // namespace gk
