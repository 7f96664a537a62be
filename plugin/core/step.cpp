// One pipeline step: reclaim orphans, fire due timers, activate gates and reviews, dispatch ready
// work, then hand the host every decision that is now durable. Nothing here scans all tasks:
// the work is proportional to what is due, ready or running.
#include <algorithm>
#include <chrono>
#include <climits>

#include "core/engine.hpp"
#include "core/error.hpp"
#include "core/json_util.hpp"

#include <goalkeeper/job_key.hpp>

namespace gk {

namespace json = boost::json;

void Engine::run_due_timers() {
  while (!model_.timers.empty() && model_.timers.top().due_ms <= tx_.now) {
    Timer tm = model_.timers.top();
    model_.timers.pop();
    switch (tm.kind) {
      case TimerKind::backoff:
        if (model_.tasks[tm.task].not_before_ms == tm.due_ms) tree_.queue_ready(tm.task);
        break;
      case TimerKind::lease:
        jobs_.lease_due(tm.task, tm.due_ms);
        break;
      case TimerKind::gate_deadline:
        gates_.deadline_due(tm.task, tm.due_ms);
        break;
    }
  }
}

json::object Engine::step(const json::object &input) {
  writable();
  check_keys(input, {"goal_id", "capacity", "time_budget_ms"}, "step input");
  auto only = opt_string(input, "goal_id", "step input");
  int64_t capacity = opt_int(input, "capacity", "step input").value_or(INT_MAX);
  if (capacity < 0) fail(Errc::invalid, "step input: \"capacity\" must not be negative");
  int64_t budget = opt_int(input, "time_budget_ms", "step input").value_or(2000);
  if (budget < 0 || budget > 3'600'000)
    fail(Errc::invalid,
         "step input: \"time_budget_ms\" is out of range (from 0 to 3600000), found " +
             std::to_string(budget));
  // Discovery first: a goal it makes can dispatch in this very step. It shares the budget.
  json::array discovered;
  if (finder_) {
    bool due;
    {
      std::lock_guard lock(mutex_);
      due = clock() >= next_discovery_ms_;
    }
    if (due) {
      const auto began = std::chrono::steady_clock::now();
      discovered = discover({}, budget);
      budget = std::max<int64_t>(0, budget - std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 std::chrono::steady_clock::now() - began)
                                                 .count());
    }
  }
  // Gate polls: decided and applied in transactions, performed between them.
  std::vector<Gates::DuePoll> due;
  std::vector<GateOutcome> outcomes;
  if (gates_.has_checkers()) {
    std::vector<GatePoll> polls;
    int64_t now;
    {
      std::lock_guard lock(mutex_);
      now = tx_.now = clock();
      refresh();
      due = gates_.due_polls(polls, now);
    }
    outcomes = gates_.run_polls(due, polls, now, budget);
  }
  std::vector<CommitStatus> statuses;
  std::vector<std::string> status_keys;
  json::object out = mutate([&] {
    gates_.apply_polls(due, outcomes);
    int32_t only_goal = only ? tree_.find_goal(*only) : -1;
    jobs_.check_alive_jobs();
    run_due_timers();
    // capacity bounds every run_job of this step: jobs offered before (not yet started) come
    // first, new dispatches take what is left.
    int64_t reoffers = 0;
    for (int32_t gi = 0; gi < static_cast<int32_t>(model_.goals.size()); ++gi)
      if (only_goal < 0 || gi == only_goal)
        reoffers += static_cast<int64_t>(model_.goals[gi].offered.size());
    int cap = static_cast<int>(std::clamp<int64_t>(capacity - reoffers, 0, INT_MAX));
    int64_t emit_left = capacity;
    json::array actions;
    json::array goals;
    for (auto &[key, reason] : model_.cancels) {
      if (only && goalkeeper::job_key_goal(key) != *only) continue;
      actions.push_back({{"type", "cancel_job"}, {"job_key", key}, {"reason", reason}});
    }
    for (int32_t gi = 0; gi < static_cast<int32_t>(model_.goals.size()); ++gi) {
      if (only_goal >= 0 && gi != only_goal) continue;
      Goal &g = model_.goals[gi];
      if (g.state == GoalState::loaded) continue;
      if (g.state == GoalState::finished && g.finish_announced) continue;
      gates_.activate_ready_other(g);
      jobs_.dispatch(g, cap);
      std::vector<TaskIndex> offered(g.offered.begin(), g.offered.end());
      for (TaskIndex i : offered) {
        if (emit_left <= 0) break;
        --emit_left;
        try {
          actions.push_back(jobs_.run_job_action(i));
        } catch (const Error &e) {
          if (e.code() != Errc::invalid) throw;
          Task &t = model_.tasks[i];
          tree_.release_slot(i);
          t.reason = std::string("cannot build the job: ") + e.what();
          tree_.set_status(i, Status::blocked, t.reason);
        }
      }
      for (TaskIndex i : g.announce) {
        Task &t = model_.tasks[i];
        const char *kind = t.id.empty()                          ? "plan"
                           : t.def->stage == Stage::human_review ? "human_review"
                                                                 : "approval";
        actions.push_back(
            {{"type", "await_review"},
             {"task_id", t.id.empty() ? g.id : t.id},
             {"goal_id", g.id},
             {"title", t.id.empty() ? (g.def.title.empty() ? g.id : g.def.title) : t.def->title},
             {"kind", kind}});
        t.review_announced = true;
        tx_.dirty(i);
      }
      g.announce.clear();
      const Task &root = model_.tasks[g.root];
      if (g.state == GoalState::finished) {
        actions.push_back({{"type", "goal_finished"},
                           {"goal_id", g.id},
                           {"status", goal_status(g, root.status)}});
        if (!g.closed.empty()) actions.back().as_object()["reason"] = g.closed;
        g.finish_announced = true;
        tx_.dirty(g);
      }
      goals.push_back({{"goal_id", g.id},
                       {"state", to_string(g.state)},
                       {"status", goal_status(g, root.status)},
                       {"progress", {{"done", g.leaves_finished}, {"total", g.leaves}}}});
    }
    int64_t next = config_.idle_step_ms;
    if (!model_.timers.empty())
      next = std::min(next, std::max<int64_t>(0, model_.timers.top().due_ms - tx_.now));
    if (int64_t poll = gates_.next_poll_ms(); poll > 0)
      next = std::min(next, std::max<int64_t>(0, poll - tx_.now));
    if (finder_ && next_discovery_ms_ < INT64_MAX)
      next = std::min(next, std::max<int64_t>(0, next_discovery_ms_ - tx_.now));
    if (poster_) changed_statuses(statuses, status_keys);
    return json::object{
        {"actions", std::move(actions)}, {"next_step_ms", next}, {"goals", std::move(goals)}};
  });
  if (!discovered.empty()) out["discovered"] = std::move(discovered);
  // What each shepherded pull request says changed with this step: tell GitHub. A fault only
  // delays it to a later step.
  if (!statuses.empty()) post_statuses(statuses, status_keys, std::max<int64_t>(budget, 1000));
  return out;
}

}  // namespace gk
