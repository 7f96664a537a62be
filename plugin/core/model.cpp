#include "core/model.hpp"

#include <array>

namespace gk {

namespace {
constexpr std::array<const char *, 5> kGoalStates = {"loaded", "running", "paused", "stopped",
                                                     "finished"};
}

const char *to_string(GoalState s) {
  return kGoalStates[static_cast<int>(s)];
}

GoalState goal_state_from_string(std::string_view s) {
  for (size_t i = 0; i < kGoalStates.size(); ++i)
    if (s == kGoalStates[i]) return static_cast<GoalState>(i);
  return GoalState::loaded;
}

}  // namespace gk
