// Steering goals: pause keeps running jobs and starts nothing new, stop cancels its jobs (late
// results are then ignored), resume picks up where it stopped and unblocks tasks (tree_runs.cpp).
#include "core/engine.hpp"
#include "core/error.hpp"

namespace gk {

void Engine::control(std::string_view goal_id, std::string_view command) {
  if (command != "pause" && command != "resume" && command != "stop")
    fail(Errc::invalid, "control: unknown command \"" + std::string(command) +
                            "\" (expected pause, resume or stop)");
  mutate([&] {
    Goal &g = model_.goals[tree_.find_goal(goal_id)];
    auto refuse = [&] {
      fail(Errc::conflict,
           "cannot " + std::string(command) + " goal '" + g.id + "': it is " + to_string(g.state));
    };
    if (command == "pause") {
      if (g.state == GoalState::paused) return;
      if (g.state != GoalState::running) refuse();
      g.state = GoalState::paused;
      tx_.dirty(g);
      tx_.event(g, nullptr, "goal_paused", {});
    } else if (command == "resume") {
      if (g.state == GoalState::running) return;
      if (g.state != GoalState::paused && g.state != GoalState::stopped) refuse();
      if (g.spec == SpecPhase::awaiting_approval)
        fail(Errc::conflict, "goal '" + g.id + "' waits for its plan to be approved or rejected");
      tree_.resume_goal(g);
    } else {
      if (g.state == GoalState::stopped) return;
      if (g.state != GoalState::running && g.state != GoalState::paused) refuse();
      tree_.stop_goal(g, "goal stopped");
    }
  });
}

}  // namespace gk
