#include "goal_outcome.hpp"

#include "formats.hpp"

namespace gk::runner {

namespace json = boost::json;

GoalOutcome goal_outcome(const json::object &g, std::vector<std::string> &human_gates) {
  const std::string state = json_str(g, "state");
  if (state == "finished") {
    const std::string status = json_str(g, "status");
    return status == "failed"   ? GoalOutcome::failed
           : status == "closed" ? GoalOutcome::closed
                                : GoalOutcome::done;
  }
  bool jobs_active = false, machine_gate = false;
  for (const auto &av : json_array(g, "active")) {
    const json::object &a = av.as_object();
    if (a.contains("job_key")) {
      jobs_active = true;
      continue;
    }
    // What the gate still waits for: only people (human_approval leaves, of any compound)?
    bool people_only = true;
    const auto &waits = json_array(a, "waits_for");
    for (const auto &w : waits)
      people_only = people_only && w.is_string() && w.as_string() == "human_approval";
    if (waits.empty()) people_only = json_str(a, "gate") == "human_approval";
    if (people_only)
      human_gates.push_back(json_str(a, "task_id"));
    else
      machine_gate = true;
  }
  if (jobs_active || (state == "running" && machine_gate)) return GoalOutcome::working;
  const bool person = !json_array(g, "pending_review").empty() ||
                      !json_array(g, "blocked").empty() || !human_gates.empty() ||
                      state == "paused" || state == "stopped";
  // Pending after a backoff: the plugin will dispatch it.
  if (!person && state == "running") return GoalOutcome::working;
  return GoalOutcome::waiting;
}

}  // namespace gk::runner
