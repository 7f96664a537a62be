// Triggers (`triggers:` in a goal file): scheduled discovery of the pull requests a template's
// goals shepherd. A trigger names a search query, a template, the template's params as
// expressions of the found pull request ({{ pr.repo }}, {{ pr.number }}, {{ pr.title }},
// {{ pr.author }}, {{ pr.head_sha }}, {{ pr.url }}), how often to search and how many of its
// goals may be unfinished at once.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/pull_finder.hpp"

namespace gk {

struct TriggerDef {
  std::string id;
  std::string source;  // the goal file that declares it (its goals belong to that file)
  std::string query;
  std::string template_id;
  boost::json::object params;  // param name -> literal value or text with {{ pr.* }}
  int64_t every_s = 300;
  int max_goals = 20;
};

boost::json::object to_json(const TriggerDef &t);
TriggerDef trigger_from_json(const boost::json::object &o);

// The fields of a found pull request an expression may name.
bool is_pull_field(std::string_view name);

// "" when the text's {{ }} expressions all name pr.<field>, else what is wrong.
std::string pull_expression_problem(std::string_view text);

// The template's params for this pull request: each value rendered; a value that is exactly one
// expression keeps its type ({{ pr.number }} is an integer).
boost::json::object render_trigger_params(const TriggerDef &t, const FoundPullRequest &pr);

// "acme/shop#11": how a pull request is named in discovery's answers and in goals.
std::string pull_name(std::string_view repo, int64_t number);

}  // namespace gk
