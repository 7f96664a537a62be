// Placing ready agent tasks: the pinned session takes one task at a time, spawned sessions run
// in parallel up to the goal's and the global caps. Dispatch is a loop over ready sets kept in
// run order, so 10,000 ready siblings cost 10,000 iterations, never recursion or rescans.
#include "core/engine.hpp"

#include "core/json_util.hpp"
#include "core/prompt.hpp"

namespace gk {

namespace json = boost::json;

namespace {

bool spawn_room(const Goal &g, const Model &m, const Config &c) {
  return (g.def.max_parallel <= 0 || g.spawned_running < g.def.max_parallel) &&
         m.spawned_running < c.max_parallel;
}

}  // namespace

void Engine::dispatch(Goal &g, int &capacity) {
  if (g.state != GoalState::running) return;
  // The pinned session: a reuse task, or an auto task when no other agent task runs.
  if (g.pinned_task == kNoTask && capacity > 0) {
    auto &from = !g.ready_reuse.empty() ? g.ready_reuse : g.ready_auto;
    bool others_running = g.spawned_running > 0;
    if (!from.empty() && (&from == &g.ready_reuse || !others_running)) {
      TaskIndex i = from.begin()->task;
      start_job(i, true);
      --capacity;
    }
  }
  // Spawned sessions: spawn tasks, and auto tasks while another agent task runs.
  while (capacity > 0 && spawn_room(g, model_, config_)) {
    bool auto_spawns = !g.ready_auto.empty() && (g.pinned_task != kNoTask || g.spawned_running > 0);
    const ReadyKey *pick = nullptr;
    if (!g.ready_spawn.empty()) pick = &*g.ready_spawn.begin();
    if (auto_spawns && (!pick || *g.ready_auto.begin() < *pick)) pick = &*g.ready_auto.begin();
    if (!pick) break;
    start_job(pick->task, false);
    --capacity;
  }
}

void Engine::start_job(TaskIndex i, bool pinned) {
  Task &t = model_.tasks[i];
  Goal &g = model_.goals[t.goal];
  unqueue(i);
  ++t.attempt;
  t.job = JobState::offered;
  t.pinned = pinned;
  t.started_ms = now_;
  t.lease_until_ms = 0;
  dirty(i);
  if (pinned) {
    g.pinned_task = i;
  } else {
    ++g.spawned_running;
    ++model_.spawned_running;
  }
  g.offered.insert(i);
  event(g, &t, "job_offered",
        {{"job_key", job_key(t)}, {"session", pinned ? "pinned" : "spawned"}});
  if (t.status != Status::active) set_status(i, Status::active, "dispatched");
}

// The job of task i is over (finished, failed to start, lost or cancelled): free its session.
void Engine::release_slot(TaskIndex i) {
  Task &t = model_.tasks[i];
  Goal &g = model_.goals[t.goal];
  if (t.job == JobState::none) return;
  if (t.pinned) {
    if (g.pinned_task == i) g.pinned_task = kNoTask;
  } else {
    --g.spawned_running;
    --model_.spawned_running;
  }
  g.offered.erase(i);
  g.running.erase(i);
  t.job = JobState::none;
  t.lease_until_ms = 0;
  dirty(i);
}

void Engine::cancel_jobs(Goal &g, std::string_view reason) {
  std::vector<TaskIndex> jobs(g.offered.begin(), g.offered.end());
  jobs.insert(jobs.end(), g.running.begin(), g.running.end());
  for (TaskIndex i : jobs) {
    Task &t = model_.tasks[i];
    std::string key = job_key(t);
    model_.cancels[key] = std::string(reason);
    store_.put_cancel(key, g.id, reason);
    event(g, &t, "job_cancel", {{"job_key", key}, {"reason", std::string(reason)}});
    release_slot(i);
    if (t.status == Status::active) set_status(i, Status::pending, reason);
  }
}

void Engine::reclaim(TaskIndex i, std::string_view why) {
  Task &t = model_.tasks[i];
  Goal &g = model_.goals[t.goal];
  std::string key = job_key(t);
  release_slot(i);
  ++t.reclaims;
  event(g, &t, "job_lost",
        {{"job_key", key}, {"reason", std::string(why)}, {"reclaims", t.reclaims}});
  if (t.def->stage == Stage::agent_work && t.id.empty()) {
    // The spec job of a goal: run it again.
    start_job(i, true);
    return;
  }
  if (t.reclaims > config_.max_reclaims) {
    t.reason =
        "its job was lost " + std::to_string(t.reclaims) + " times (" + std::string(why) + ")";
    set_status(i, Status::blocked, t.reason);
    return;
  }
  set_status(i, Status::pending, "job lost: " + std::string(why));
  queue_ready(i);
}

json::object Engine::run_job_action(TaskIndex i) {
  const Task &t = model_.tasks[i];
  const Goal &g = model_.goals[t.goal];
  std::string key = job_key(t);
  std::string session_id = t.pinned ? g.id + "/pinned" : key;
  json::array command;
  for (const std::string &arg : t.def->run) command.emplace_back(render(i, arg));
  std::string prompt =
      t.id.empty() ? spec_prompt(g.def, t) : build_prompt(g.def, t, render(i, t.def->prompt));
  json::object env;
  for (const auto &[k, v] : t.def->env) env[k] = render(i, v);
  env["GK_GOAL_ID"] = g.id;
  env["GK_TASK_ID"] = t.id;
  env["GK_JOB_KEY"] = key;
  env["GK_ATTEMPT"] = std::to_string(t.attempt);
  env["GK_SESSION_ID"] = session_id;
  env["GK_PROMPT"] = prompt;
  env["GK_STATE"] = config_.state_path;
  json::object session{{"id", session_id},
                       {"policy", to_string(t.def->session_policy)},
                       {"workspace", t.pinned ? "pinned" : "isolated"}};
  json::object a{{"type", "run_job"},
                 {"job_key", key},
                 {"task_id", t.id},
                 {"goal_id", g.id},
                 {"title", t.def->title},
                 {"attempt", t.attempt},
                 {"session", std::move(session)},
                 {"command", std::move(command)},
                 {"env", std::move(env)},
                 {"prompt", std::move(prompt)}};
  if (t.def->timeout_s > 0) a["timeout_s"] = t.def->timeout_s;
  return a;
}

}  // namespace gk
