// Where a template may read what. Two rules, checked when a goal file (or a job's subtasks) is
// loaded, so that input that validates also runs:
//   - Values produced while a goal runs (a task's artifacts or summary, written by a job, a gate
//     or a person) never go into `run`: after `sh -c` they would run as code. They go through
//     `env`, where they stay data. Values the goal file fixes (params, goal.*, task.*) may.
//   - A template reads only tasks that finish before its task starts (run_order.hpp): anything
//     else is missing when the job or gate is built.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/goal_def.hpp"
#include "core/template.hpp"

namespace gk {

class TemplateRules {
 public:
  // root: the tree the references live in (a goal, or the holder of new subtasks).
  // earlier: for ids outside that tree (tasks already in the state, when root holds a job's
  // subtasks), whether the task finished before root's own job ran; nullptr when there are none.
  explicit TemplateRules(const TaskDef &root,
                         std::function<bool(std::string_view)> earlier = nullptr);
  ~TemplateRules();

  // Why `reader` (the id of the task the template is written on; root.id when it is written on
  // the goal or in defaults, and so applies to every task) cannot read `ref`; "" when it can.
  // in_run: the template is part of a `run` argv.
  std::string problem(std::string_view reader, bool in_run, const TemplateRef &ref) const;

  // Whether any template in an argv reads the title of its own task: a job's subtasks inherit
  // their parent's run, and their titles are the job's words, not the goal file's.
  static bool reads_task_title(const std::vector<std::string> &argv);

 private:
  struct Index;
  const TaskDef &root_;
  std::function<bool(std::string_view)> earlier_;
  mutable std::unique_ptr<Index> index_;  // built on the first question about order
};

}  // namespace gk
