// Starting and steering goals: pause keeps running jobs and starts nothing new, stop cancels its
// jobs (late results are then ignored), resume picks up where it stopped and unblocks tasks.
#include "core/engine.hpp"
#include "core/error.hpp"

namespace gk {

std::vector<TaskIndex> Engine::subtree(TaskIndex top) const {
  std::vector<TaskIndex> out, work{top};
  while (!work.empty()) {
    TaskIndex k = work.back();
    work.pop_back();
    out.push_back(k);
    for (TaskIndex c : model_.tasks[k].children) work.push_back(c);
  }
  return out;
}

void Engine::control(std::string_view goal_id, std::string_view command) {
  if (command != "pause" && command != "resume" && command != "stop")
    fail(Errc::invalid, "control: unknown command \"" + std::string(command) +
                            "\" (expected pause, resume or stop)");
  mutate([&] {
    Goal &g = model_.goals[find_goal(goal_id)];
    auto refuse = [&] {
      fail(Errc::conflict,
           "cannot " + std::string(command) + " goal '" + g.id + "': it is " + to_string(g.state));
    };
    if (command == "pause") {
      if (g.state == GoalState::paused) return;
      if (g.state != GoalState::running) refuse();
      g.state = GoalState::paused;
      dirty(g);
      event(g, nullptr, "goal_paused", {});
    } else if (command == "resume") {
      if (g.state == GoalState::running) return;
      if (g.state != GoalState::paused && g.state != GoalState::stopped) refuse();
      if (g.spec == SpecPhase::awaiting_approval)
        fail(Errc::conflict, "goal '" + g.id + "' waits for its plan to be approved or rejected");
      resume_goal(g);
    } else {
      if (g.state == GoalState::stopped) return;
      if (g.state != GoalState::running && g.state != GoalState::paused) refuse();
      stop_goal(g, "goal stopped");
    }
  });
}

void Engine::resume_goal(Goal &g) {
  g.state = GoalState::running;
  dirty(g);
  event(g, nullptr, "goal_resumed", {});
  for (TaskIndex i : subtree(g.root)) {
    Task &t = model_.tasks[i];
    if (!t.is_leaf()) continue;
    if (t.status == Status::blocked) {
      t.start_failures = t.reclaims = 0;
      t.not_before_ms = 0;
      t.reason.clear();
      set_status(i, Status::pending, "resumed");
    }
    if (t.status == Status::pending && t.entered) queue_ready(i);
  }
}

void Engine::stop_goal(Goal &g, std::string_view reason) {
  cancel_jobs(g, reason);
  std::vector<TaskIndex> gates;
  for (TaskIndex i : model_.active_gates)
    if (model_.tasks[i].goal == static_cast<int32_t>(&g - model_.goals.data())) gates.push_back(i);
  for (TaskIndex i : gates) {
    deactivate_gate(i);
    set_status(i, Status::pending, reason);
  }
  g.state = GoalState::stopped;
  dirty(g);
  event(g, nullptr, "goal_stopped", {{"reason", std::string(reason)}});
}

}  // namespace gk
