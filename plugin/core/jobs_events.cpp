// What hosts report about jobs. Every report is applied by job key against the durable state: a
// report for an attempt that is no longer current (superseded, cancelled, goal stopped) is
// recorded and ignored, never applied to whatever runs now.
#include "core/jobs.hpp"

#include "core/error.hpp"
#include "core/goal_file.hpp"
#include "core/json_util.hpp"
#include "core/model_order.hpp"
#include "core/run_order.hpp"

#include <goalkeeper/job_key.hpp>

namespace gk {

namespace json = boost::json;

void Jobs::apply_event(const goalkeeper::JobKey &k, std::string_view key, const std::string &type,
                       const std::string &reason, const json::object &ev,
                       const json::object &result) {
  Goal &g = m_.goals[tree_.find_goal(k.goal)];
  TaskIndex i = g.root;
  if (!k.task.empty()) {
    auto it = g.by_id.find(k.task);
    if (it == g.by_id.end())
      fail(Errc::not_found, "job '" + std::string(key) + "': goal has no task '" + k.task + "'");
    i = it->second;
  }
  Task &t = m_.tasks[i];
  if (k.attempt < 1 || k.attempt > t.attempt)
    fail(Errc::not_found, "job '" + std::string(key) + "' was never offered");
  std::string skey(key);
  // A host that failed to start a job another host of the state had started already: the job
  // runs, and its start stands.
  if (type == "start_failed" && k.attempt == t.attempt && t.job == JobState::running) {
    tx_.event(g, &t, "late_event_ignored",
              {{"job_key", skey}, {"event", type}, {"why", "the job was reported started"}});
    return;
  }
  if (k.attempt != t.attempt || t.job == JobState::none) {
    bool was_cancelled = m_.cancels.count(skey) > 0;
    if (was_cancelled && (type == "finished" || type == "start_failed")) {
      m_.cancels.erase(skey);
      tx_.store.delete_cancel(skey);
    }
    tx_.event(g, &t, "late_event_ignored",
              {{"job_key", skey},
               {"event", type},
               {"why", was_cancelled            ? "the job was cancelled"
                       : k.attempt != t.attempt ? "a later attempt superseded it"
                                                : "the attempt is no longer running"}});
    return;
  }
  if (type == "started" || type == "heartbeat") {
    if (t.job == JobState::offered) {
      t.job = JobState::running;
      g.offered.erase(i);
      g.running.insert(i);
      json::object data{{"job_key", skey}};
      if (const auto *ref = ev.if_contains("host_ref")) {
        t.host_ref = std::string(ref->as_string());
        data["host_ref"] = *ref;
      }
      tx_.event(g, &t, "job_started", std::move(data));
    }
    t.lease_until_ms = tx_.now + c_.lease_s * 1000;
    m_.timers.push({t.lease_until_ms, i, TimerKind::lease});
    tx_.dirty(i);
    return;
  }
  if (type == "start_failed") {
    tree_.release_slot(i);
    ++t.start_failures;
    tx_.event(g, &t, "job_start_failed",
              {{"job_key", skey}, {"reason", reason}, {"failures", t.start_failures}});
    if (t.start_failures >= c_.max_start_failures) {
      t.reason = "could not start a session " + std::to_string(t.start_failures) +
                 " times; last reason: " + reason;
      if (t.id.empty()) g.spec = SpecPhase::none;
      tree_.set_status(i, Status::blocked, t.reason);
      return;
    }
    int64_t backoff = c_.start_backoff_ms << std::min(t.start_failures - 1, 16);
    t.not_before_ms = tx_.now + backoff;
    tree_.set_status(i, Status::pending, "start failed, retry after backoff");
    tree_.queue_ready(i);
    return;
  }
  apply_finished(i, ev, result);
}

void Jobs::apply_finished(TaskIndex i, const json::object &ev, const json::object &result) {
  Goal &g = m_.goals[m_.tasks[i].goal];
  std::string key = tree_.job_key(m_.tasks[i]);
  tree_.release_slot(i);
  Task &t = m_.tasks[i];
  t.finished_ms = tx_.now;
  t.start_failures = 0;
  int64_t exit_code = opt_int(ev, "exit_code", "job event").value_or(0);
  std::string status = exit_code == 0 ? "done" : "failed";
  // read_job_result checked the types and the status.
  auto declared = opt_string(result, "status", "job result");
  if (declared && (exit_code == 0 || *declared != "done")) status = *declared;
  t.summary = opt_string(result, "summary", "job result").value_or("");
  if (const auto *a = result.if_contains("artifacts"); a && a->is_object())
    for (const auto &kv : a->as_object()) t.artifacts[kv.key()] = kv.value();
  tx_.dirty(i);
  tx_.event(
      g, &t, "job_finished",
      {{"job_key", key}, {"exit_code", exit_code}, {"status", status}, {"summary", t.summary}});

  const json::value *subtasks = result.if_contains("subtasks");
  bool has_subtasks = subtasks && subtasks->is_array() && !subtasks->as_array().empty();
  if (status == "done" && t.id.empty()) {
    if (!has_subtasks) {
      finish_failed(i, "the plan returned no subtasks");
      return;
    }
    if (!try_add_subtasks(i, *subtasks)) return;
    Task &root = m_.tasks[i];
    g.spec = SpecPhase::awaiting_approval;
    g.state = GoalState::paused;
    root.review_announced = false;
    g.announce.insert(i);
    tx_.dirty(g);
    tree_.set_status(i, Status::pending_review, "the plan awaits approval");
    tx_.event(g, &root, "spec_proposed",
              {{"subtasks", static_cast<int64_t>(root.children.size())}});
    return;
  }
  if (status == "done") {
    if (has_subtasks) {
      try_add_subtasks(i, *subtasks);
      return;
    }
    if (t.def->requires_approval) {
      t.review_announced = false;
      g.announce.insert(i);
      tree_.set_status(i, Status::pending_review, "awaits approval");
      return;
    }
    tree_.set_status(i, Status::done, t.summary);
    return;
  }
  if (status == "blocked") {
    t.reason = t.summary.empty() ? "the agent reported blocked" : t.summary;
    tree_.set_status(i, Status::blocked, t.reason);
    return;
  }
  std::string why = t.summary.empty() ? "exit code " + std::to_string(exit_code) : t.summary;
  finish_failed(i, why);
}

void Jobs::finish_failed(TaskIndex i, std::string_view reason) {
  Task &t = m_.tasks[i];
  Goal &g = m_.goals[t.goal];
  if (t.retries_used < t.def->max_retries) {
    ++t.retries_used;
    t.failure = "Attempt " + std::to_string(t.attempt) + " failed: " + std::string(reason);
    tx_.dirty(i);
    tx_.event(
        g, &t, "retry",
        {{"retry", t.retries_used}, {"of", t.def->max_retries}, {"reason", std::string(reason)}});
    tree_.set_status(i, Status::pending, "retry " + std::to_string(t.retries_used));
    tree_.queue_ready(i);
    return;
  }
  t.reason = std::string(reason);
  if (t.id.empty()) {
    g.spec = SpecPhase::none;
    tx_.dirty(g);
  }
  tree_.set_status(i, Status::failed, reason);
}

void Jobs::add_subtasks(TaskIndex pi, const json::value &subtasks) {
  Goal &g = m_.goals[m_.tasks[pi].goal];
  std::string where = "result of " + tree_.job_key(m_.tasks[pi]);
  TaskDef holder = *m_.tasks[pi].def;
  auto taken = [&](std::string_view id) { return g.by_id.count(std::string(id)) > 0; };
  // Tasks already in the goal that finished before this job ran: what its subtasks may read.
  auto ran_before = [&](std::string_view id) {
    auto it = g.by_id.find(std::string(id));
    return it != g.by_id.end() && finishes_before(it->second, pi, ModelOrder{m_});
  };
  int depth = 0;
  for (TaskIndex at = pi; m_.tasks[at].parent != kNoTask; at = m_.tasks[at].parent) ++depth;
  holder.tasks = parse_subtasks(subtasks, g.def, holder, where, taken, ran_before, depth);
  bool was_leaf = m_.tasks[pi].is_leaf();
  for (const TaskDef &d : holder.tasks) tree_.insert_tree(d, m_.tasks[pi].goal, pi, true);
  tree_.link_needs(pi);
  Task &p = m_.tasks[pi];
  if (was_leaf && p.parent != kNoTask) {
    --g.leaves;
    if (is_satisfied(p.status)) --g.leaves_finished;
  }
  tx_.event(g, &p, "subtasks_added", {{"count", static_cast<int64_t>(holder.tasks.size())}});
  if (!p.id.empty()) {
    tree_.set_status(pi, p.counts.derive(), "runs its subtasks");
    if (p.entered) {
      p.entered = false;
      tree_.enter(pi);
    }
  }
}

bool Jobs::try_add_subtasks(TaskIndex parent, const json::value &subtasks) {
  try {
    add_subtasks(parent, subtasks);
    return true;
  } catch (const Error &e) {
    if (e.code() != Errc::invalid) throw;
    finish_failed(parent, e.what());
    return false;
  }
}

}  // namespace gk
