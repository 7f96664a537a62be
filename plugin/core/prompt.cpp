#include "core/prompt.hpp"

namespace gk {

namespace {

constexpr const char *kResultHelp =
    "When you finish, exit 0 (done) or non-zero (failed). To say more, write JSON to the file "
    "named by $GK_RESULT_FILE: {\"status\": \"done|blocked|failed\", \"summary\": \"...\", "
    "\"artifacts\": {...}, \"subtasks\": [...]}.";

void append_context(std::string &out, const Task &task) {
  if (!task.failure.empty()) out += "\n\n## The previous attempt failed\n" + task.failure;
  if (!task.feedback.empty()) out += "\n\n## Review feedback to address\n" + task.feedback;
}

}  // namespace

std::string build_prompt(const GoalDef &goal, const Task &task, const std::string &custom) {
  std::string out;
  if (!custom.empty()) {
    out = custom;
  } else {
    out = "# " + task.def->title + "\n\nGoal: " + (goal.title.empty() ? goal.id : goal.title);
    if (!goal.description.empty()) out += "\n" + goal.description;
    if (!task.def->description.empty()) out += "\n\n" + task.def->description;
    out += "\n\n";
    out += kResultHelp;
  }
  append_context(out, task);
  return out;
}

std::string spec_prompt(const GoalDef &goal, const Task &root) {
  std::string out = "# Plan the goal: " + (goal.title.empty() ? goal.id : goal.title);
  if (!goal.description.empty()) out += "\n\n" + goal.description;
  out +=
      "\n\nDecompose this goal into tasks. Write JSON to the file named by $GK_RESULT_FILE: "
      "{\"status\": \"done\", \"summary\": \"the plan in a sentence\", \"subtasks\": [{\"id\": "
      "\"...\", \"title\": \"...\", \"description\": \"...\"}, ...]}. A person approves the plan "
      "before any task runs.";
  append_context(out, root);
  return out;
}

}  // namespace gk
