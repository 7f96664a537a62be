// Tasks: keys, inheritance down the tree, stages, ids, and needs (dangling names, cycles, and tasks
// that would wait for each other).
#include "core/goal_loader.hpp"

#include <climits>
#include <cstdlib>
#include <unordered_set>

#include "core/duration.hpp"
#include "core/ids.hpp"
#include "core/json_util.hpp"
#include "core/limits.hpp"
#include "core/wait_cycle.hpp"

namespace gk::loader {

std::vector<TaskDef> Loader::task_list(const Node &list, const Mark &m, const Path &lp,
                                       const TaskDef &up, GoalScope &scope) const {
  if (!list.is_list()) fail(m, lp, "expected a list of tasks, found " + found(list));
  int depth = scope.base_depth;
  for (const Path *at = &lp; at; at = at->parent)
    if (at->key == "tasks" || at->key == "subtasks") ++depth;
  if (depth > kMaxTreeDepth) {
    fail(m, lp,
         "tasks nested more than " + std::to_string(kMaxTreeDepth) +
             " levels deep (the goal's tasks are level 1): flatten the tree, parallel: true "
             "and needs order tasks without nesting them");
  }
  if (list.size() == 0) {
    fail(m, lp,
         "expected at least one task, found an empty list (leave tasks out for a leaf task)");
  }
  std::vector<TaskDef> out;
  out.reserve(list.size());
  std::vector<NeedsSource> needs;
  long i = 0;
  for (const Node &item : list.items) {
    NeedsSource src;
    src.index = static_cast<std::size_t>(i);
    out.push_back(task(item, Path{&lp, {}, i++}, up, scope, src));
    if (out.back().has_needs) needs.push_back(std::move(src));
  }
  if (!needs.empty()) check_needs(out, needs, lp, scope, up.parallel);
  return out;
}

TaskDef Loader::task(const Node &n, const Path &p, const TaskDef &up, GoalScope &scope,
                     NeedsSource &needs_src) const {
  if (!n.is_map()) fail(n.mark, p, "expected a task (a map with an id), found " + found(n));
  auto f = read_map(n, kTaskKeys, p, "a task", kGoalKeys, "a goal key");
  if (!f[tId].set) fail(n.mark, p, "missing key 'id': every task needs an id");
  TaskDef t;
  const std::string &task_id = id(f[tId], p);
  register_id(task_id, f[tId], p, scope);
  t.id = task_id;
  const std::size_t first_site = scope.sites.size();
  t.title = f[tTitle].set ? text(f[tTitle], p) : defaults.title.value_or(t.id);
  t.description =
      f[tDescription].set ? text(f[tDescription], p) : defaults.description.value_or("");
  if (f[tPrompt].set) {
    t.prompt = text(f[tPrompt], p);
    templates(t.prompt, f[tPrompt].mark(), Path{&p, "prompt"}, scope.sites);
  } else {
    t.prompt = defaults.prompt.value_or("");
  }
  t.run = f[tRun].set ? argv(f[tRun], p, scope.sites) : up.run;
  t.env = up.env;
  if (f[tEnv].set) env(f[tEnv], p, t.env, scope.sites);
  t.session_policy = f[tSessionPolicy].set ? policy(f[tSessionPolicy], p) : up.session_policy;
  t.timeout_s = f[tTimeout].set ? duration(f[tTimeout], p) : up.timeout_s;
  t.max_retries = f[tMaxRetries].set
                      ? static_cast<int>(integer(f[tMaxRetries], p, 0, kMaxRetriesLimit))
                      : up.max_retries;
  t.parallel = f[tParallel].set ? boolean(f[tParallel], p) : defaults.parallel.value_or(false);
  t.priority = f[tPriority].set
                   ? static_cast<int>(integer(f[tPriority], p, -kMaxPriority, kMaxPriority))
                   : defaults.priority.value_or(0);
  if (f[tNeeds].set) read_needs(f[tNeeds], p, t, needs_src);
  if (f[tWaitFor].set) {
    t.wait_for = gate(f[tWaitFor].value(), f[tWaitFor].mark(), Path{&p, "wait_for"}, scope.sites);
  }
  if (f[tMerge].set) {
    for (TaskKey other : {tWaitFor, tTasks, tRun, tStage, tRequiresApproval, tTimeout}) {
      if (f[other].set)
        fail(f[other].key().mark, Path{&p, f[other].name()},
             "a merge task cannot have " + std::string(f[other].name()) +
                 " (the plugin merges; a timeout goes inside merge)");
    }
    t.wait_for = merge_gate(f[tMerge].value(), f[tMerge].mark(), Path{&p, "merge"}, scope.sites);
  }
  // The templates written on this task so far are its own; its children's follow.
  for (std::size_t k = first_site; k < scope.sites.size(); ++k) scope.sites[k].owner = t.id;
  std::optional<Stage> stage;
  if (f[tStage].set) stage = stage_from_string(one_of(f[tStage], p, kStageNames));
  if (f[tTasks].set) {
    if (f[tWaitFor].set) {
      fail(f[tWaitFor].key().mark, Path{&p, "wait_for"},
           "a task with children cannot wait_for: put the gate in a child task");
    }
    if (stage && *stage != Stage::agent_work) {
      fail(f[tStage], p,
           std::string("a task with children cannot have stage ") + to_string(*stage) +
               ": give it to a child task");
    }
    if (f[tRequiresApproval].set) {
      fail(f[tRequiresApproval].key().mark, Path{&p, "requires_approval"},
           "requires_approval applies to agent tasks, not to a task with children");
    }
    t.tasks = task_list(f[tTasks].value(), f[tTasks].mark(), Path{&p, "tasks"}, t, scope);
    return t;
  }
  if (f[tWaitFor].set || f[tMerge].set) {
    if (stage && *stage != Stage::wait_for_signal) {
      fail(f[tStage], p,
           std::string("stage ") + to_string(*stage) +
               " cannot have wait_for (a task with wait_for is a wait_for_signal gate)");
    }
    if (f[tTimeout].set) {
      fail(f[tTimeout].key().mark, Path{&p, "timeout"},
           "a gate's timeout goes inside wait_for, e.g. wait_for: {type: gh_ci, ..., timeout: "
           "2h}");
    }
    t.stage = Stage::wait_for_signal;
  } else if (stage == Stage::wait_for_signal) {
    fail(f[tStage], p, "stage wait_for_signal needs wait_for (the gate to wait for)");
  } else {
    t.stage = stage.value_or(Stage::agent_work);
  }
  if (f[tRequiresApproval].set) {
    if (t.stage != Stage::agent_work) {
      fail(f[tRequiresApproval].key().mark, Path{&p, "requires_approval"},
           std::string("requires_approval applies to agent_work tasks, not to ") +
               to_string(t.stage));
    }
    t.requires_approval = boolean(f[tRequiresApproval], p);
  } else {
    t.requires_approval =
        t.stage == Stage::agent_work && defaults.requires_approval.value_or(false);
  }
  if (t.stage == Stage::agent_work && t.run.empty()) {
    fail(n.mark, p,
         "task " + t.id + " has nothing to run: set run on the task, its goal or defaults");
  }
  return t;
}

void Loader::register_id(const std::string &task_id, const Field &f, const Path &p,
                         GoalScope &scope) const {
  if (task_id == scope.goal_id) {
    fail(f, p,
         "task id " + quoted(task_id) + " is the id of its goal; task ids must differ from it");
  }
  auto [it, fresh] = scope.ids.try_emplace(std::string_view(task_id), f.value().mark);
  if (!fresh) {
    fail(f, p,
         "duplicate task id " + quoted(task_id) + " in goal " + quoted(scope.goal_id) +
             where_line(it->second));
  }
  if (scope.id_taken && (*scope.id_taken)(task_id)) {
    fail(f, p, "task id " + quoted(task_id) + " is already used in goal " + quoted(scope.goal_id));
  }
}

void Loader::read_needs(const Field &f, const Path &p, TaskDef &t, NeedsSource &src) const {
  Path np{&p, "needs"};
  if (!f.value().is_list())
    fail(f.mark(), np, "expected a list of sibling task ids, found " + found(f.value()));
  t.has_needs = true;
  src.mark = f.key().mark;
  std::unordered_set<std::string_view> seen;
  long i = 0;
  for (const Node &item : f.value().items) {
    Path ip{&np, {}, i++};
    Kind k = kind_of(item);
    if (k != Kind::string && k != Kind::integer) {
      fail(item.mark, ip, "expected a sibling task id, found " + found(item));
    }
    const std::string &s = item.text;
    if (!is_valid_id(s)) fail(item.mark, ip, id_error(s));
    if (!seen.insert(s).second) fail(item.mark, ip, quoted(s) + " is listed twice");
    t.needs.push_back(s);
    src.item_marks.push_back(item.mark);
  }
}

void Loader::check_needs(const std::vector<TaskDef> &tasks, const std::vector<NeedsSource> &sources,
                         const Path &lp, const GoalScope &scope, bool parallel) const {
  std::unordered_map<std::string_view, std::size_t> index;
  index.reserve(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i) index.emplace(tasks[i].id, i);
  std::vector<std::vector<std::size_t>> edges(tasks.size());
  std::vector<const NeedsSource *> source_of(tasks.size(), nullptr);
  for (const NeedsSource &src : sources) {
    const TaskDef &t = tasks[src.index];
    source_of[src.index] = &src;
    Path tp{&lp, {}, static_cast<long>(src.index)};
    Path np{&tp, "needs"};
    for (std::size_t k = 0; k < t.needs.size(); ++k) {
      const std::string &name = t.needs[k];
      Path ip{&np, {}, static_cast<long>(k)};
      if (name == t.id) fail(src.item_marks[k], ip, "task " + quoted(t.id) + " cannot need itself");
      auto it = index.find(name);
      if (it == index.end()) {
        auto elsewhere = scope.ids.find(name);
        if (elsewhere != scope.ids.end() || (scope.id_taken && (*scope.id_taken)(name))) {
          fail(src.item_marks[k], ip,
               quoted(name) + " is not a sibling of " + quoted(t.id) +
                   ": needs names tasks with the same parent");
        }
        std::vector<std::string_view> names;
        for (const TaskDef &s : tasks) names.push_back(s.id);
        fail(src.item_marks[k], ip,
             "no sibling task " + quoted(name) + suggestion(name, names) +
                 ": needs names tasks with the same parent");
      }
      edges[src.index].push_back(it->second);
    }
  }
  enum : uint8_t { kUnseen, kOpen, kClosed };
  std::vector<uint8_t> state(tasks.size(), kUnseen);
  std::vector<std::pair<std::size_t, std::size_t>> stack;  // task, next edge
  for (const NeedsSource &src : sources) {
    if (state[src.index] != kUnseen) continue;
    stack.push_back({src.index, 0});
    state[src.index] = kOpen;
    while (!stack.empty()) {
      auto &[v, e] = stack.back();
      if (e == edges[v].size()) {
        state[v] = kClosed;
        stack.pop_back();
        continue;
      }
      std::size_t w = edges[v][e++];
      if (state[w] == kUnseen) {
        state[w] = kOpen;
        stack.push_back({w, 0});
      } else if (state[w] == kOpen) {
        std::string cycle;
        bool in = false;
        for (const auto &[u, unused] : stack) {
          if (u == w) in = true;
          if (in) cycle += tasks[u].id + " -> ";
        }
        cycle += tasks[w].id;
        Path tp{&lp, {}, static_cast<long>(w)};
        fail(source_of[w]->mark, Path{&tp, "needs"}, "needs form a cycle: " + cycle);
      }
    }
  }
  if (!parallel) check_sequential_waits(tasks, edges, source_of, lp);
}

void Loader::check_sequential_waits(const std::vector<TaskDef> &tasks,
                                    const std::vector<std::vector<std::size_t>> &edges,
                                    const std::vector<const NeedsSource *> &source_of,
                                    const Path &lp) const {
  std::vector<std::size_t> order(tasks.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return tasks[a].priority > tasks[b].priority;
  });
  std::vector<std::size_t> position(tasks.size());
  for (std::size_t k = 0; k < order.size(); ++k) position[order[k]] = k;
  std::vector<std::optional<std::vector<std::size_t>>> needs(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i)
    if (tasks[i].has_needs) needs[i] = edges[i];
  std::vector<std::size_t> cycle = sequential_wait_cycle(needs, position);
  if (cycle.empty()) return;
  // Reported at the needs that point forward, where the fix is.
  std::size_t at = cycle[0];
  for (std::size_t k = 0; k < cycle.size(); ++k) {
    std::size_t a = cycle[k], b = cycle[(k + 1) % cycle.size()];
    if (needs[a] && position[b] > position[a]) {
      at = a;
      break;
    }
  }
  std::string text;
  for (std::size_t k : cycle) text += tasks[k].id + " -> ";
  text += tasks[cycle[0]].id;
  Path tp{&lp, {}, static_cast<long>(at)};
  fail(source_of[at] ? source_of[at]->mark : Mark::null_mark(), Path{&tp, "needs"},
       "the tasks wait for each other: " + text +
           " (under a sequential parent a task without needs waits for every task before it); "
           "order them so that what " +
           quoted(tasks[at].id) + " needs comes first, or give those tasks needs of their own");
}

}  // namespace gk::loader
