// What a goal file declares, after validation and with defaults applied. Definitions are
// immutable once loaded; the engine's runtime state lives beside them (see model.hpp).
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gk {

enum class Stage { agent_work, wait_for_signal, human_review };
enum class SessionPolicy { reuse, spawn, automatic };

const char *to_string(Stage s);
const char *to_string(SessionPolicy p);
std::optional<Stage> stage_from_string(std::string_view s);
std::optional<SessionPolicy> session_policy_from_string(std::string_view s);

// Every task, parents and gates included, holds the resolved run, env, session_policy,
// timeout_s and max_retries it passes down (what its children, or subtasks a job returns, inherit).
// Only agent_work leaves run a command; wait_for is set exactly on wait_for_signal leaves.
struct TaskDef {
  std::string id;
  std::string title;  // defaults to the id
  std::string description;
  std::string prompt;            // template; empty = the default prompt built by the engine
  std::vector<std::string> run;  // argv templates, resolved from defaults/goal/parents
  std::map<std::string, std::string> env;  // merged from defaults/goal/parents (templates)
  Stage stage = Stage::agent_work;         // wait_for_signal when wait_for is set
  SessionPolicy session_policy = SessionPolicy::reuse;
  bool parallel = false;           // children ready together
  std::vector<std::string> needs;  // sibling ids; replaces "every earlier sibling"
  bool has_needs = false;          // `needs: []` means "no dependency", not "sequential"
  int priority = 0;                // higher first among siblings
  int max_retries = 0;
  int64_t timeout_s = 0;  // 0 = none; agent job timeout
  bool requires_approval = false;
  boost::json::object wait_for;  // gate config (strings may hold templates)
  std::vector<TaskDef> tasks;    // children
};

struct GoalDef {
  std::string id;
  std::string title;
  std::string description;
  boost::json::object params;
  int max_parallel = 0;     // 0 = no goal cap (the global cap still applies)
  std::string source;       // file name it came from (not part of identity)
  std::string template_id;  // the template it was made from; "" for a goal the file declares
  // The goal is the root task: root.id == id, root.tasks are the goal's tasks,
  // root.parallel is the goal's `parallel`.
  TaskDef root;
};

// Canonical JSON of a definition (no source positions), used to store it and to decide whether a
// goal loaded again is "the same definition".
boost::json::object to_json(const TaskDef &t);
// The same without `tasks`: one row per task when the engine stores a tree task by task.
boost::json::object to_json_shallow(const TaskDef &t);
boost::json::object to_json(const GoalDef &g);
// Trust their input (it was validated); a missing `tasks` means no children.
TaskDef task_def_from_json(const boost::json::object &o);
GoalDef goal_def_from_json(const boost::json::object &o);

// A task without its children (copying a parent's whole subtree only to drop it is costly).
TaskDef shallow_copy(const TaskDef &t);
// The goal without its task tree: what the goals table keeps beside the per-task rows.
GoalDef header_of(const GoalDef &g);
// Sorts every level of the tree into run order (priority descending, then declaration), the order
// in which the state keeps children.
void sort_run_order(TaskDef &root);
// A fingerprint of the canonical definition, computed without building it as one document, so
// that loading a 100,000-task goal again compares cheaply. Children count in run order.
std::string definition_digest(const GoalDef &g);

// The first place where two canonical definitions differ, as "tasks[2].run[0]: 'a' vs 'b'";
// empty when equal.
std::string describe_difference(const boost::json::value &a, const boost::json::value &b);

}  // namespace gk
