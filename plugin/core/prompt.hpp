// The text an agent session receives. A task's own `prompt` template wins; failure context and
// review feedback are always appended, so a retry knows what went wrong.
#pragma once

#include <string>

#include "core/goal_def.hpp"
#include "core/model.hpp"

namespace gk {

std::string build_prompt(const GoalDef &goal, const Task &task, const std::string &custom);
std::string spec_prompt(const GoalDef &goal, const Task &root);

}  // namespace gk
