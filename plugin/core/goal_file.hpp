// Goal files: YAML in, validated definitions out (docs/goal-files.md). Every error is
// gk::Error(invalid) that starts with "source:line:column: " and the key path, e.g.
// "ci.yaml:7:9: goals[0].tasks[1].sesion_policy: unknown key ...".
#pragma once

#include <boost/json.hpp>
#include <functional>
#include <string_view>
#include <vector>

#include "core/goal_def.hpp"
#include "core/goal_template.hpp"
#include "core/trigger.hpp"

namespace gk {

struct GoalFile {
  std::vector<GoalDef> goals;           // the file's goals, those made from templates included
  std::vector<GoalTemplate> templates;  // declared in the file or in the files it imports
  std::vector<TriggerDef> triggers;
};
// Gives the text of a file that `imports` names (the path as written, relative to the importing
// file) or throws gk::Error saying why it cannot be read.
using ImportReader = std::function<std::string(const std::string &path)>;

// All goals and templates of the file, with defaults and inheritance applied. All or nothing:
// one error and nothing is returned.
GoalFile read_goal_file(std::string_view yaml, std::string_view source_name,
                        const ImportReader &read_import);
// The goals of a file without imports.
std::vector<GoalDef> parse_goal_file(std::string_view yaml, std::string_view source_name);
// The templates of an imported file (version, defaults and templates only).
std::vector<GoalTemplate> read_import_file(std::string_view yaml, std::string_view source_name);

// The goal the template makes with these params (checked and completed by resolve_params), its
// id by instance_goal_id, its source the template's.
GoalDef instantiate(const GoalTemplate &t, const boost::json::object &given);

// Subtasks a job returned at run time (a JSON array of task objects, same keys as YAML tasks),
// validated like a goal file's tasks and inheriting run, env, session_policy, timeout and
// max_retries from `parent`. Ids must be unique among themselves and not `id_taken` (the ids
// already in the goal). Templates may name the goal's params, `parent` itself, new tasks that
// finish before the reader starts, and tasks of the goal for which `ran_before` is true (they
// finished before parent's job ran); see template_rules.hpp. parent_depth is the parent's level
// in the goal's tree (the goal is 0): the tree stays within kMaxTreeDepth levels.
// Errors read "<where>: subtasks[2].id: ..." (no line numbers: the input was JSON).
// An empty array gives no tasks.
std::vector<TaskDef> parse_subtasks(const boost::json::value &subtasks, const GoalDef &goal,
                                    const TaskDef &parent, std::string_view where,
                                    const std::function<bool(std::string_view)> &id_taken,
                                    const std::function<bool(std::string_view)> &ran_before,
                                    int parent_depth);

}  // namespace gk
