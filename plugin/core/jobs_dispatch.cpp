// Placing ready agent tasks: the pinned session takes one task at a time, spawned sessions run
// in parallel up to the goal's and the global caps. Dispatch is a loop over ready sets kept in
// run order, so 10,000 ready siblings cost 10,000 iterations, never recursion or rescans. And the
// liveness of running jobs: the host's answer, and the lease.
#include "core/jobs.hpp"

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

void Jobs::dispatch(Goal &g, int &capacity) {
  if (g.state != GoalState::running) return;
  // The pinned session: a reuse task, or an auto task when no other agent task runs.
  if (g.pinned_task == kNoTask && capacity > 0) {
    auto &from = !g.ready_reuse.empty() ? g.ready_reuse : g.ready_auto;
    bool others_running = g.spawned_running > 0;
    if (!from.empty() && (&from == &g.ready_reuse || !others_running)) {
      TaskIndex i = from.begin()->task;
      tree_.start_job(i, true);
      --capacity;
    }
  }
  // Spawned sessions: spawn tasks, and auto tasks while another agent task runs.
  while (capacity > 0 && spawn_room(g, m_, c_)) {
    bool auto_spawns = !g.ready_auto.empty() && (g.pinned_task != kNoTask || g.spawned_running > 0);
    const ReadyKey *pick = nullptr;
    if (!g.ready_spawn.empty()) pick = &*g.ready_spawn.begin();
    if (auto_spawns && (!pick || *g.ready_auto.begin() < *pick)) pick = &*g.ready_auto.begin();
    if (!pick) break;
    tree_.start_job(pick->task, false);
    --capacity;
  }
}

void Jobs::reclaim(TaskIndex i, std::string_view why) {
  Task &t = m_.tasks[i];
  Goal &g = m_.goals[t.goal];
  std::string key = tree_.job_key(t);
  tree_.release_slot(i);
  ++t.reclaims;
  tx_.event(g, &t, "job_lost",
            {{"job_key", key}, {"reason", std::string(why)}, {"reclaims", t.reclaims}});
  if (t.def->stage == Stage::agent_work && t.id.empty()) {
    // The spec job of a goal: run it again.
    tree_.start_job(i, true);
    return;
  }
  if (t.reclaims > c_.max_reclaims) {
    t.reason =
        "its job was lost " + std::to_string(t.reclaims) + " times (" + std::string(why) + ")";
    tree_.set_status(i, Status::blocked, t.reason);
    return;
  }
  tree_.set_status(i, Status::pending, "job lost: " + std::string(why));
  tree_.queue_ready(i);
}

json::object Jobs::run_job_action(TaskIndex i) {
  const Task &t = m_.tasks[i];
  const Goal &g = m_.goals[t.goal];
  std::string key = tree_.job_key(t);
  std::string session_id = t.pinned ? g.id + "/pinned" : key;
  json::array command;
  for (const std::string &arg : t.def->run) command.emplace_back(tree_.render(i, arg));
  std::string prompt =
      t.id.empty() ? spec_prompt(g.def, t) : build_prompt(g.def, t, tree_.render(i, t.def->prompt));
  json::object env;
  for (const auto &[k, v] : t.def->env) env[k] = tree_.render(i, v);
  env["GK_GOAL_ID"] = g.id;
  env["GK_TASK_ID"] = t.id;
  env["GK_JOB_KEY"] = key;
  env["GK_ATTEMPT"] = std::to_string(t.attempt);
  env["GK_SESSION_ID"] = session_id;
  env["GK_PROMPT"] = prompt;
  env["GK_STATE"] = c_.state_path;
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

void Jobs::check_alive_jobs() {
  if (!hooks_.job_alive) return;
  for (Goal &g : m_.goals) {
    if (g.running.empty()) continue;
    std::vector<TaskIndex> running(g.running.begin(), g.running.end());
    for (TaskIndex i : running)
      if (hooks_.job_alive(tree_.job_key(m_.tasks[i])) == 0)
        reclaim(i, "the host reports the job is gone");
  }
  for (auto it = m_.cancels.begin(); it != m_.cancels.end();) {
    if (hooks_.job_alive(it->first) == 0) {
      tx_.store.delete_cancel(it->first);
      tx_.touched = true;
      it = m_.cancels.erase(it);
    } else {
      ++it;
    }
  }
}

// The lease of a running job ran out: extended while the host says it lives, else reclaimed.
void Jobs::lease_due(TaskIndex i, int64_t due_ms) {
  Task &t = m_.tasks[i];
  if (t.job != JobState::running || t.lease_until_ms != due_ms) return;
  int alive = hooks_.job_alive ? hooks_.job_alive(tree_.job_key(t)) : -1;
  if (alive == 1) {
    t.lease_until_ms = tx_.now + c_.lease_s * 1000;
    m_.timers.push({t.lease_until_ms, i, TimerKind::lease});
    tx_.dirty(i);
  } else {
    reclaim(i, "no heartbeat before the lease ran out");
  }
}

}  // namespace gk
