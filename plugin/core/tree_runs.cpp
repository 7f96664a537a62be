// Sessions a task's job holds, cancels, stopping and resuming goals, and the lookups every part
// uses: goals and tasks by name, job keys, templates rendered for a task.
#include "core/tree.hpp"

#include "core/error.hpp"
#include "core/model_lookup.hpp"

#include <goalkeeper/job_key.hpp>

namespace gk {

namespace json = boost::json;

void Tree::start_job(TaskIndex i, bool pinned) {
  Task &t = m_.tasks[i];
  Goal &g = m_.goals[t.goal];
  unqueue(i);
  ++t.attempt;
  t.job = JobState::offered;
  t.pinned = pinned;
  t.started_ms = tx_.now;
  t.lease_until_ms = 0;
  t.host_ref.clear();
  tx_.dirty(i);
  if (pinned) {
    g.pinned_task = i;
  } else {
    ++g.spawned_running;
    ++m_.spawned_running;
  }
  g.offered.insert(i);
  tx_.event(g, &t, "job_offered",
            {{"job_key", job_key(t)}, {"session", pinned ? "pinned" : "spawned"}});
  if (t.status != Status::active) set_status(i, Status::active, "dispatched");
}

// The job of task i is over (finished, failed to start, lost or cancelled): free its session.
void Tree::release_slot(TaskIndex i) {
  Task &t = m_.tasks[i];
  Goal &g = m_.goals[t.goal];
  if (t.job == JobState::none) return;
  if (t.pinned) {
    if (g.pinned_task == i) g.pinned_task = kNoTask;
  } else {
    --g.spawned_running;
    --m_.spawned_running;
  }
  g.offered.erase(i);
  g.running.erase(i);
  t.job = JobState::none;
  t.lease_until_ms = 0;
  tx_.dirty(i);
}

void Tree::cancel_jobs(Goal &g, std::string_view reason) {
  std::vector<TaskIndex> jobs(g.offered.begin(), g.offered.end());
  jobs.insert(jobs.end(), g.running.begin(), g.running.end());
  for (TaskIndex i : jobs) {
    Task &t = m_.tasks[i];
    std::string key = job_key(t);
    m_.cancels[key] = std::string(reason);
    tx_.store.put_cancel(key, g.id, reason);
    tx_.event(g, &t, "job_cancel", {{"job_key", key}, {"reason", std::string(reason)}});
    release_slot(i);
    if (t.status == Status::active) set_status(i, Status::pending, reason);
  }
}

std::vector<TaskIndex> Tree::subtree(TaskIndex top) const {
  std::vector<TaskIndex> out, work{top};
  while (!work.empty()) {
    TaskIndex k = work.back();
    work.pop_back();
    out.push_back(k);
    for (TaskIndex c : m_.tasks[k].children) work.push_back(c);
  }
  return out;
}

void Tree::resume_goal(Goal &g) {
  g.state = GoalState::running;
  tx_.dirty(g);
  tx_.event(g, nullptr, "goal_resumed", {});
  for (TaskIndex i : subtree(g.root)) {
    Task &t = m_.tasks[i];
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

void Tree::stop_goal(Goal &g, std::string_view reason) {
  cancel_jobs(g, reason);
  std::vector<TaskIndex> gates;
  for (TaskIndex i : m_.active_gates)
    if (m_.tasks[i].goal == static_cast<int32_t>(&g - m_.goals.data())) gates.push_back(i);
  for (TaskIndex i : gates) {
    deactivate_gate(i);
    set_status(i, Status::pending, reason);
  }
  g.state = GoalState::stopped;
  tx_.dirty(g);
  tx_.event(g, nullptr, "goal_stopped", {{"reason", std::string(reason)}});
}

std::string Tree::render(TaskIndex i, std::string_view text) const {
  if (text.find("{{") == std::string_view::npos) return std::string(text);
  return render_template(text, ModelLookup(m_, m_.tasks[i]));
}

void Tree::deactivate_gate(TaskIndex i) {
  Task &t = m_.tasks[i];
  m_.active_gates.erase(i);
  t.clear_gate();
  tx_.dirty(i);
}

TaskIndex Tree::closest_preceding_agent(TaskIndex i) const {
  const Task &t = m_.tasks[i];
  if (t.parent == kNoTask) return kNoTask;
  const Task &p = m_.tasks[t.parent];
  for (int32_t pos = t.position; pos-- > 0;) {
    TaskIndex c = p.children[pos];
    if (m_.tasks[c].def->stage == Stage::agent_work) return c;
  }
  return kNoTask;
}

int32_t Tree::find_goal(std::string_view goal_id) const {
  auto it = m_.goal_by_id.find(std::string(goal_id));
  if (it == m_.goal_by_id.end())
    fail(Errc::not_found, "no goal '" + std::string(goal_id) + "' in the state");
  return it->second;
}

std::string Tree::job_key(const Task &t) const {
  return goalkeeper::JobKey{m_.goals[t.goal].id, t.id, t.attempt}.text();
}

std::string Tree::task_ref(const Task &t) const {
  const Goal &g = m_.goals[t.goal];
  return t.id.empty() ? g.id : g.id + "/" + t.id;
}

// "G/T", or a bare "T" that only one goal has.
TaskIndex Tree::resolve_task_ref(std::string_view ref) const {
  if (ref.empty()) fail(Errc::invalid, "task id is empty");
  auto slash = ref.find('/');
  if (slash != std::string_view::npos) {
    const Goal &g = m_.goals[find_goal(ref.substr(0, slash))];
    auto it = g.by_id.find(std::string(ref.substr(slash + 1)));
    if (it == g.by_id.end())
      fail(Errc::not_found,
           "goal '" + g.id + "' has no task '" + std::string(ref.substr(slash + 1)) + "'");
    return it->second;
  }
  TaskIndex found = kNoTask;
  std::string goals;
  for (const Goal &g : m_.goals) {
    auto it = g.by_id.find(std::string(ref));
    if (it == g.by_id.end()) continue;
    goals += (goals.empty() ? "" : ", ") + g.id;
    if (found != kNoTask)
      fail(Errc::invalid, "task id '" + std::string(ref) + "' is in several goals (" + goals +
                              "); name it as GOAL/TASK");
    found = it->second;
  }
  if (found == kNoTask) fail(Errc::not_found, "no task '" + std::string(ref) + "' in any goal");
  return found;
}

}  // namespace gk
