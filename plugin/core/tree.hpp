// The task tree's state machine: statuses and how a parent's follows its children, readiness
// (which task's turn has come, the ready sets dispatch takes from), the sessions a task's job
// holds, cancels, re-runs after a failed gate or a rejected review, the end of a goal; and the
// model's derived indexes, built when the state is read from disk. Everything is incremental and
// iterative: no scan of all tasks, no recursion over siblings. Jobs (jobs.hpp) and gates
// (gates.hpp) act through it; the engine (engine.hpp) runs them in one transaction per call.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/goal_def.hpp"
#include "core/model.hpp"
#include "core/txn.hpp"

namespace gk {

class Tree {
 public:
  Tree(Model &model, Txn &tx) : m_(model), tx_(tx) {}

  // Statuses and readiness (tree_status.cpp).
  void set_status(TaskIndex i, Status s, std::string_view why);
  void enter(TaskIndex i);  // the task's turn has come: queue it, or enter its ready children
  bool ready_in_parent(TaskIndex i) const;
  void queue_ready(TaskIndex i);
  void unqueue(TaskIndex i);
  enum class Context { failure, feedback, recheck };
  // A failed gate or a rejected review sends the work back to `agent`: it and every sibling up to
  // `upto` run again, in order, with `text` in the agent's prompt. recheck: the gates from `agent`
  // (then the first of them) to `upto` check again, and no prompt changes.
  void reset_range_for_rerun(TaskIndex agent, TaskIndex upto, Context kind, std::string_view text);
  // Finishes the goal (and cancels its jobs) when its root's status is terminal.
  void on_goal_status(Goal &g);

  // Sessions, cancels, goals (tree_runs.cpp).
  void start_job(TaskIndex i, bool pinned);  // offers the task's next attempt
  void release_slot(TaskIndex i);            // its job is over: the session is free
  void cancel_jobs(Goal &g, std::string_view reason);
  void deactivate_gate(TaskIndex i);
  void resume_goal(Goal &g);
  void stop_goal(Goal &g, std::string_view reason);
  TaskIndex closest_preceding_agent(TaskIndex i) const;
  std::vector<TaskIndex> subtree(TaskIndex top) const;

  // Lookups (tree_runs.cpp).
  int32_t find_goal(std::string_view goal_id) const;  // throws not_found
  TaskIndex resolve_task_ref(std::string_view ref) const;
  std::string job_key(const Task &t) const;
  std::string task_ref(const Task &t) const;
  std::string render(TaskIndex i, std::string_view text) const;  // templates of the task

  // Building the model (tree_build.cpp).
  TaskIndex insert_tree(const TaskDef &top, int32_t goal, TaskIndex parent, bool dynamic);
  void link_needs(TaskIndex parent);
  void rebuild_indexes();  // after the model was read from disk
  // The definition a goal was loaded with, rebuilt from the state, to explain a conflict.
  GoalDef stored_definition(int32_t goal) const;

 private:
  void on_satisfied_changed(TaskIndex i, bool satisfied);

  Model &m_;
  Txn &tx_;
};

}  // namespace gk
