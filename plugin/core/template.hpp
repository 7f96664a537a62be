// Templates in prompts, commands, env values and gate configs: "{{ params.repo }}",
// "{{ tasks.implement.artifacts.pr }}", "{{ tasks.plan.summary }}", "{{ goal.id }}",
// "{{ task.attempt }}". The loader parses them to reject bad ones early; the engine renders them
// when a task starts, against the goal's params and the artifacts of finished tasks.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gk {

struct TemplateRef {
  enum class Kind { param, artifact, summary, goal, task } kind;
  std::string task_id;            // artifact, summary
  std::vector<std::string> path;  // param / artifact keys; goal / task: the one field name
};

// "params.repo", "tasks.implement.artifacts.pr", "goal.id": the expression as it is rendered
// in messages.
std::string to_string(const TemplateRef &ref);

// True when the text holds a "{{" (a cheap test before parsing).
bool has_template(std::string_view text);

// Every reference in the text, in order. Bad syntax (unclosed "{{", empty expression, unknown
// root or field, a bad name) is gk::Error(invalid) saying what was expected and what was found.
// Task ids may contain dots: in tasks.<id>.artifacts.<key> the id runs up to the first
// ".artifacts." segment, in tasks.<id>.summary up to the last segment.
std::vector<TemplateRef> parse_template(std::string_view text);

// Where rendering finds values. Null / nullopt means "missing"; rendering names what is missing.
struct TemplateLookup {
  virtual ~TemplateLookup() = default;
  virtual const boost::json::value *param(const std::vector<std::string> &path) const = 0;
  virtual const boost::json::value *artifact(std::string_view task_id,
                                             const std::vector<std::string> &path) const = 0;
  virtual std::optional<std::string> summary(std::string_view task_id) const = 0;
  // root is "goal" or "task"; field is "id", "title" or (task only) "attempt".
  virtual std::optional<std::string> builtin(std::string_view root,
                                             std::string_view field) const = 0;
};

// Strings are inserted raw, numbers and booleans as their JSON text, objects and arrays as
// compact JSON. A missing value is gk::Error(invalid), e.g.
// "template {{ tasks.implement.artifacts.pr }}: tasks.implement has no artifact 'pr'".
std::string render_template(std::string_view text, const TemplateLookup &lookup);

// Renders every string inside `v` (object keys are left alone). A string that is exactly one
// "{{ expr }}" whose value is not a string keeps that value's JSON type, so
// pr: "{{ tasks.x.artifacts.pr }}" with pr = 42 becomes the number 42 (likewise booleans,
// arrays, objects and null).
boost::json::value render_json_templates(const boost::json::value &v, const TemplateLookup &lookup);

// Follows keys through objects and decimal indexes through arrays; null when a step is missing.
// Meant for TemplateLookup implementations (params and artifacts are JSON).
const boost::json::value *find_json_path(const boost::json::value &root,
                                         const std::vector<std::string> &path);
// The same from an object (params, artifacts) without wrapping it in a value; an empty path
// finds nothing.
const boost::json::value *find_json_path(const boost::json::object &root,
                                         const std::vector<std::string> &path);

}  // namespace gk
