// Building the model: inserting task trees (at load and when a job returns subtasks) and deriving
// every index from the persisted fields after the state was read from disk.
#include "core/tree.hpp"

#include <algorithm>

namespace gk {

TaskIndex Tree::insert_tree(const TaskDef &top, int32_t gi, TaskIndex parent, bool dynamic) {
  struct Item {
    const TaskDef *def;
    TaskIndex parent;
  };
  std::vector<Item> stack{{&top, parent}};
  std::vector<TaskIndex> parents;
  TaskIndex first = kNoTask;
  while (!stack.empty()) {
    Item item = stack.back();
    stack.pop_back();
    Goal &g = m_.goals[gi];
    Task t;
    t.goal = gi;
    t.parent = item.parent;
    t.dynamic = dynamic;
    t.id = item.parent == kNoTask ? std::string() : item.def->id;
    t.def = std::make_unique<TaskDef>(shallow_copy(*item.def));
    if (item.parent != kNoTask)
      t.position = static_cast<int32_t>(m_.tasks[item.parent].children.size());
    tx_.store.insert_task(t, g, item.parent == kNoTask ? nullptr : &m_.tasks[item.parent]);
    auto ti = static_cast<TaskIndex>(m_.tasks.size());
    m_.tasks.push_back(std::move(t));
    if (first == kNoTask) first = ti;
    if (item.parent == kNoTask) {
      g.root = ti;
    } else {
      Task &p = m_.tasks[item.parent];
      p.children.push_back(ti);
      p.counts.add(Status::pending);
      g.by_id.emplace(item.def->id, ti);
    }
    if (item.def->tasks.empty()) {
      if (item.parent != kNoTask) ++g.leaves;
      continue;
    }
    parents.push_back(ti);
    // Run order: priority descending, then declaration order. Pushed in reverse so that the
    // children are inserted (and get their positions) in run order.
    std::vector<const TaskDef *> kids;
    for (const TaskDef &c : item.def->tasks) kids.push_back(&c);
    std::stable_sort(kids.begin(), kids.end(),
                     [](const TaskDef *a, const TaskDef *b) { return a->priority > b->priority; });
    for (size_t k = kids.size(); k-- > 0;) stack.push_back({kids[k], ti});
  }
  for (TaskIndex p : parents) link_needs(p);
  return first;
}

void Tree::link_needs(TaskIndex pi) {
  Goal &g = m_.goals[m_.tasks[pi].goal];
  for (TaskIndex c : m_.tasks[pi].children) {
    Task &child = m_.tasks[c];
    child.unmet_needs = 0;
    if (!child.def->has_needs) continue;
    for (const std::string &need : child.def->needs) {
      auto it = g.by_id.find(need);
      if (it == g.by_id.end()) continue;  // validated at load; a missing sibling cannot happen
      Task &sibling = m_.tasks[it->second];
      sibling.dependents.push_back(c);
      if (!is_satisfied(sibling.status)) ++child.unmet_needs;
    }
  }
}

void Tree::rebuild_indexes() {
  m_.timers = {};
  m_.active_gates.clear();
  m_.spawned_running = 0;
  for (Goal &g : m_.goals) {
    g.pinned_task = kNoTask;
    g.spawned_running = g.leaves = g.leaves_finished = 0;
    g.ready_reuse.clear();
    g.ready_spawn.clear();
    g.ready_auto.clear();
    g.ready_other.clear();
    g.offered.clear();
    g.running.clear();
    g.announce.clear();
    g.by_id.clear();
  }
  auto n = static_cast<TaskIndex>(m_.tasks.size());
  for (TaskIndex i = 0; i < n; ++i) {
    Task &t = m_.tasks[i];
    t.counts = {};
    t.seq_cursor = t.unmet_needs = 0;
    t.dependents.clear();
    t.entered = t.queued = false;
  }
  for (TaskIndex i = 0; i < n; ++i) {
    Task &t = m_.tasks[i];
    Goal &g = m_.goals[t.goal];
    if (t.parent != kNoTask) {
      g.by_id.emplace(t.id, i);
      m_.tasks[t.parent].counts.add(t.status);
      if (t.is_leaf()) {
        ++g.leaves;
        if (is_satisfied(t.status)) ++g.leaves_finished;
      }
    }
    if (t.job != JobState::none) {
      if (t.pinned) {
        g.pinned_task = i;
      } else {
        ++g.spawned_running;
        ++m_.spawned_running;
      }
      if (t.job == JobState::offered) {
        g.offered.insert(i);
      } else {
        g.running.insert(i);
        m_.timers.push({t.lease_until_ms, i, TimerKind::lease});
      }
    }
    // Parents follow their children into pending_review: only the task that waits is asked
    // about (a leaf, or the root for its plan), as when it first came to wait.
    const bool asks = t.is_leaf() || (i == g.root && g.spec == SpecPhase::awaiting_approval);
    if (t.status == Status::pending_review && !t.review_announced && asks) g.announce.insert(i);
    if (t.def->stage == Stage::wait_for_signal && t.status == Status::active) {
      m_.active_gates.insert(i);
      if (t.gate().deadline_ms)
        m_.timers.push({*t.gate().deadline_ms, i, TimerKind::gate_deadline});
    }
  }
  for (TaskIndex i = 0; i < n; ++i)
    if (!m_.tasks[i].is_leaf()) link_needs(i);
  for (Goal &g : m_.goals) {
    if (g.state == GoalState::loaded || g.state == GoalState::finished) continue;
    if (g.spec == SpecPhase::none) {
      enter(g.root);
    } else {
      m_.tasks[g.root].entered = true;
      queue_ready(g.root);
    }
  }
}

// The definition a goal was loaded with, rebuilt from the state (tasks a job added at run time
// are not part of it). Only needed to explain a conflict.
GoalDef Tree::stored_definition(int32_t gi) const {
  const Goal &g = m_.goals[gi];
  GoalDef def = g.def;
  struct Item {
    TaskIndex task;
    TaskDef *into;
  };
  def.root = shallow_copy(*m_.tasks[g.root].def);
  std::vector<Item> work{{g.root, &def.root}};
  while (!work.empty()) {
    Item item = work.back();
    work.pop_back();
    const Task &t = m_.tasks[item.task];
    for (TaskIndex c : t.children)
      if (!m_.tasks[c].dynamic) item.into->tasks.push_back(shallow_copy(*m_.tasks[c].def));
    size_t k = 0;
    for (TaskIndex c : t.children)
      if (!m_.tasks[c].dynamic) work.push_back({c, &item.into->tasks[k++]});
  }
  return def;
}
}  // namespace gk
