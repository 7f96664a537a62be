// Statuses move here, and with them readiness: a parent's status follows its children's counts,
// and a child whose turn comes is "entered" and, if it is a pending leaf, queued for dispatch.
// Everything is incremental and iterative: no full scans, no recursion over siblings.
#include "core/tree.hpp"

namespace gk {

namespace json = boost::json;

void Tree::set_status(TaskIndex i, Status s, std::string_view why) {
  std::string reason(why);
  while (true) {
    Task &t = m_.tasks[i];
    Status old = t.status;
    if (old == s) return;
    t.status = s;
    tx_.dirty(i);
    Goal &g = m_.goals[t.goal];
    json::object data{{"from", to_string(old)}, {"to", to_string(s)}};
    if (!reason.empty()) data["reason"] = reason;
    tx_.event(g, &t, "status", data);
    if (s != Status::pending) unqueue(i);
    bool was = is_satisfied(old), is = is_satisfied(s);
    if (t.parent == kNoTask) {
      on_goal_status(g);
      return;
    }
    if (t.is_leaf()) g.leaves_finished += static_cast<int>(is) - static_cast<int>(was);
    Task &p = m_.tasks[t.parent];
    p.counts.remove(old);
    p.counts.add(s);
    if (was != is) on_satisfied_changed(i, is);
    Status derived = p.counts.derive();
    if (derived == p.status) return;
    i = t.parent;
    s = derived;
    reason = "follows its children";
  }
}

void Tree::on_satisfied_changed(TaskIndex i, bool satisfied) {
  Task &t = m_.tasks[i];
  Task &p = m_.tasks[t.parent];
  for (TaskIndex d : t.dependents) {
    Task &dep = m_.tasks[d];
    dep.unmet_needs += satisfied ? -1 : 1;
    if (satisfied && dep.unmet_needs == 0 && p.entered && !dep.entered) enter(d);
  }
  if (p.def->parallel) return;
  auto n = static_cast<int32_t>(p.children.size());
  if (satisfied && t.position == p.seq_cursor) {
    int32_t from = p.seq_cursor;
    while (p.seq_cursor < n && is_satisfied(m_.tasks[p.children[p.seq_cursor]].status))
      ++p.seq_cursor;
    if (!p.entered) return;
    for (int32_t k = from + 1; k <= p.seq_cursor && k < n; ++k) {
      TaskIndex c = p.children[k];
      if (!m_.tasks[c].def->has_needs && !m_.tasks[c].entered) enter(c);
    }
  } else if (!satisfied && t.position < p.seq_cursor) {
    p.seq_cursor = t.position;
  }
}

void Tree::enter(TaskIndex start) {
  std::vector<TaskIndex> work{start};
  while (!work.empty()) {
    TaskIndex k = work.back();
    work.pop_back();
    Task &t = m_.tasks[k];
    t.entered = true;
    if (t.is_leaf()) {
      if (t.parent != kNoTask) queue_ready(k);
      continue;
    }
    auto n = static_cast<int32_t>(t.children.size());
    int32_t cursor = 0;
    while (cursor < n && is_satisfied(m_.tasks[t.children[cursor]].status)) ++cursor;
    t.seq_cursor = cursor;
    // Pushed in reverse so that the worklist enters children in run order.
    for (int32_t pos = n; pos-- > 0;) {
      Task &c = m_.tasks[t.children[pos]];
      bool ready = t.def->parallel || (c.def->has_needs ? c.unmet_needs == 0 : pos <= cursor);
      if (ready && !c.entered) work.push_back(t.children[pos]);
    }
  }
}

void Tree::queue_ready(TaskIndex i) {
  Task &t = m_.tasks[i];
  if (t.queued || t.status != Status::pending || !t.entered || !t.is_leaf()) return;
  // The root runs a job of its own only to plan the goal in spec mode.
  if (t.parent == kNoTask && m_.goals[t.goal].spec != SpecPhase::decomposing) return;
  if (t.not_before_ms > tx_.now) {
    m_.timers.push({t.not_before_ms, i, TimerKind::backoff});
    return;
  }
  Goal &g = m_.goals[t.goal];
  t.queued = true;
  if (t.def->stage != Stage::agent_work) {
    g.ready_other.push_back(i);
    return;
  }
  ReadyKey key{-t.def->priority, t.rowid, i};
  switch (t.def->session_policy) {
    case SessionPolicy::reuse:
      g.ready_reuse.insert(key);
      break;
    case SessionPolicy::spawn:
      g.ready_spawn.insert(key);
      break;
    case SessionPolicy::automatic:
      g.ready_auto.insert(key);
      break;
  }
}

void Tree::unqueue(TaskIndex i) {
  Task &t = m_.tasks[i];
  if (!t.queued) return;
  t.queued = false;  // ready_other is cleaned lazily: entries whose task is not queued are skipped
  if (t.def->stage != Stage::agent_work) return;
  Goal &g = m_.goals[t.goal];
  ReadyKey key{-t.def->priority, t.rowid, i};
  g.ready_reuse.erase(key);
  g.ready_spawn.erase(key);
  g.ready_auto.erase(key);
}

void Tree::on_goal_status(Goal &g) {
  const Task &root = m_.tasks[g.root];
  if (!is_terminal(root.status) || g.spec != SpecPhase::none || g.state == GoalState::finished ||
      g.state == GoalState::loaded)
    return;
  g.state = GoalState::finished;
  g.finish_announced = false;
  tx_.dirty(g);
  cancel_jobs(g, std::string("goal ") + to_string(root.status));
  tx_.event(g, nullptr, "goal_finished", {{"status", to_string(root.status)}});
}

// A gate that failed with retries left, or a review that was rejected, sends the work back to the
// agent before it: the agent and every sibling up to the gate or review run again, in order.
void Tree::reset_range_for_rerun(TaskIndex agent, TaskIndex upto, Context kind,
                                 std::string_view text) {
  const Task &a = m_.tasks[agent];
  const Task &p = m_.tasks[a.parent];
  std::vector<TaskIndex> range(p.children.begin() + a.position,
                               p.children.begin() + m_.tasks[upto].position + 1);
  std::vector<TaskIndex> subtree;
  for (TaskIndex r : range) {
    std::vector<TaskIndex> work{r};
    while (!work.empty()) {
      TaskIndex k = work.back();
      work.pop_back();
      subtree.push_back(k);
      for (TaskIndex c : m_.tasks[k].children) work.push_back(c);
    }
  }
  for (TaskIndex k : subtree) {
    Task &t = m_.tasks[k];
    if (!t.is_leaf()) continue;
    if (t.def->stage == Stage::wait_for_signal && t.status == Status::active) deactivate_gate(k);
    if (t.job != JobState::none) release_slot(k);
    t.review_announced = false;
    m_.goals[t.goal].announce.erase(k);
    set_status(k, Status::pending,
               kind == Context::failure    ? "re-run after a failure"
               : kind == Context::feedback ? "re-run after review feedback"
                                           : std::string_view(text));
  }
  for (TaskIndex k : subtree) m_.tasks[k].entered = false;
  for (TaskIndex k : subtree) {
    Task &t = m_.tasks[k];
    if (!t.is_leaf() || t.def->stage != Stage::agent_work || kind == Context::recheck) continue;
    if (kind == Context::failure)
      t.failure = std::string(text);
    else
      t.feedback = std::string(text);
    tx_.dirty(k);
  }
  // Whatever is ready again starts again: in a sequential parent only the agent (the rest
  // follow it in order), in a parallel one every task of the range.
  for (TaskIndex r : range)
    if (ready_in_parent(r)) enter(r);
}

bool Tree::ready_in_parent(TaskIndex i) const {
  const Task &t = m_.tasks[i];
  if (t.parent == kNoTask) return false;
  const Task &p = m_.tasks[t.parent];
  if (!p.entered) return false;
  if (p.def->parallel) return true;
  return t.def->has_needs ? t.unmet_needs == 0 : t.position <= p.seq_cursor;
}

}  // namespace gk
