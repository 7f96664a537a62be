#include "core/engine.hpp"

#include <chrono>

#include "core/error.hpp"
#include "core/goal_file.hpp"
#include "core/ids.hpp"
#include "core/json_util.hpp"

#include <goalkeeper/job_key.hpp>

namespace gk {

namespace json = boost::json;

int64_t Engine::clock() const {
  if (hooks_.now_ms) return hooks_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Engine::Engine(Config config, HostHooks hooks)
    : config_(std::move(config)),
      hooks_(std::move(hooks)),
      store_(config_.state_path, config_.durability_full, config_.busy_timeout_ms,
             config_.read_only) {}

void Engine::writable() const {
  if (config_.read_only)
    fail(Errc::conflict,
         "the state " + config_.state_path +
             " was opened read-only (\"read_only\": true): this call would change it");
}

void Engine::refresh() {
  if (store_.changed_by_others() || stale_) {
    model_ = store_.read_all();
    rebuild_indexes();
    stale_ = false;
  }
}

void Engine::flush() {
  for (TaskIndex i : dirty_tasks_) {
    store_.update_task(model_.tasks[i]);
    model_.tasks[i].dirty = false;
  }
  for (int32_t g : dirty_goals_) {
    store_.update_goal(model_.goals[g]);
    model_.goals[g].dirty = false;
  }
  dirty_tasks_.clear();
  dirty_goals_.clear();
}

void Engine::event(const Goal &g, const Task *t, std::string_view kind, const json::object &data) {
  touched_ = true;
  store_.append_event(now_, g.id, t ? std::string_view(t->id) : std::string_view(), kind,
                      json::serialize(data));
  if (hooks_.log) {
    std::string line = g.id;
    if (t && !t->id.empty()) line.append("/").append(t->id);
    line.append(": ").append(kind);
    if (!data.empty()) line.append(" ").append(json::serialize(data));
    hooks_.log(LogLevel::debug, line);
  }
}

int32_t Engine::find_goal(std::string_view goal_id) const {
  auto it = model_.goal_by_id.find(std::string(goal_id));
  if (it == model_.goal_by_id.end())
    fail(Errc::not_found, "no goal '" + std::string(goal_id) + "' in the state");
  return it->second;
}

std::string Engine::job_key(const Task &t) const {
  return goalkeeper::JobKey{model_.goals[t.goal].id, t.id, t.attempt}.text();
}

std::string Engine::task_ref(const Task &t) const {
  const Goal &g = model_.goals[t.goal];
  return t.id.empty() ? g.id : g.id + "/" + t.id;
}

// "G/T", or a bare "T" that only one goal has.
TaskIndex Engine::resolve_task_ref(std::string_view ref) const {
  if (ref.empty()) fail(Errc::invalid, "task id is empty");
  auto slash = ref.find('/');
  if (slash != std::string_view::npos) {
    const Goal &g = model_.goals[find_goal(ref.substr(0, slash))];
    auto it = g.by_id.find(std::string(ref.substr(slash + 1)));
    if (it == g.by_id.end())
      fail(Errc::not_found,
           "goal '" + g.id + "' has no task '" + std::string(ref.substr(slash + 1)) + "'");
    return it->second;
  }
  TaskIndex found = kNoTask;
  std::string goals;
  for (const Goal &g : model_.goals) {
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

namespace {

size_t count_tasks(const TaskDef &root) {
  size_t n = 0;
  std::vector<const TaskDef *> work{&root};
  while (!work.empty()) {
    const TaskDef *t = work.back();
    work.pop_back();
    ++n;
    for (const TaskDef &c : t->tasks) work.push_back(&c);
  }
  return n;
}

GoalDef run_ordered(GoalDef def) {
  sort_run_order(def.root);
  return def;
}

}  // namespace

// The definition a goal was loaded with, rebuilt from the state (tasks a job added at run time
// are not part of it). Only needed to explain a conflict.
GoalDef Engine::stored_definition(int32_t gi) const {
  const Goal &g = model_.goals[gi];
  GoalDef def = g.def;
  struct Item {
    TaskIndex task;
    TaskDef *into;
  };
  def.root = shallow_copy(*model_.tasks[g.root].def);
  std::vector<Item> work{{g.root, &def.root}};
  while (!work.empty()) {
    Item item = work.back();
    work.pop_back();
    const Task &t = model_.tasks[item.task];
    for (TaskIndex c : t.children)
      if (!model_.tasks[c].dynamic) item.into->tasks.push_back(shallow_copy(*model_.tasks[c].def));
    size_t k = 0;
    for (TaskIndex c : t.children)
      if (!model_.tasks[c].dynamic) work.push_back({c, &item.into->tasks[k++]});
  }
  return def;
}

json::object Engine::load(std::string_view yaml, std::string_view source_name) {
  // Parse and validate before touching the state: a failed load writes nothing.
  std::vector<GoalDef> defs = parse_goal_file(yaml, source_name);
  return mutate([&] {
    json::array results;
    for (GoalDef &def : defs) {
      json::object r;
      r["goal_id"] = def.id;
      auto existing = model_.goal_by_id.find(def.id);
      std::string digest = definition_digest(def);
      if (existing != model_.goal_by_id.end()) {
        if (store_.goal_digest(def.id) != digest) {
          std::string diff =
              describe_difference(json::value(to_json(stored_definition(existing->second))),
                                  json::value(to_json(run_ordered(def))));
          fail(Errc::conflict, "goal '" + def.id +
                                   "' is already loaded with a different definition (" + diff +
                                   "); use a new goal id or a new state file");
        }
        r["created"] = false;
        r["tasks"] = static_cast<int64_t>(model_.goals[existing->second].by_id.size());
        results.push_back(std::move(r));
        continue;
      }
      touched_ = true;
      Goal g;
      g.id = def.id;
      g.source = std::string(source_name);
      g.def = header_of(def);
      store_.insert_goal(g, digest, now_);
      auto gi = static_cast<int32_t>(model_.goals.size());
      model_.goal_by_id.emplace(g.id, gi);
      model_.goals.push_back(std::move(g));
      model_.tasks.reserve(model_.tasks.size() + count_tasks(def.root));
      insert_tree(def.root, gi, kNoTask, false);
      auto count = static_cast<int64_t>(model_.goals[gi].by_id.size());
      event(model_.goals[gi], nullptr, "goal_loaded",
            {{"source", std::string(source_name)}, {"tasks", count}});
      r["created"] = true;
      r["tasks"] = count;
      results.push_back(std::move(r));
    }
    return json::object{{"goals", std::move(results)}};
  });
}

void Engine::start(std::string_view goal_id, const json::object &options) {
  check_keys(options, {"spec"}, "start options");
  bool spec = opt_bool(options, "spec", "start options").value_or(false);
  mutate([&] {
    Goal &g = model_.goals[find_goal(goal_id)];
    switch (g.state) {
      case GoalState::running:
      case GoalState::paused:
      case GoalState::finished:
        return;  // running the same file again resumes, it does not restart
      case GoalState::stopped:
        if (g.spec == SpecPhase::none && !spec) {
          resume_goal(g);
          return;
        }
        break;
      case GoalState::loaded:
        break;
    }
    g.state = GoalState::running;
    dirty(g);
    if (spec) {
      g.spec = SpecPhase::decomposing;
      event(g, nullptr, "goal_started", {{"spec", true}});
      set_status(g.root, Status::active, "decomposing the goal");
      start_job(g.root, true);
      return;
    }
    event(g, nullptr, "goal_started", {});
    enter(g.root);
    on_goal_status(g);
  });
}

}  // namespace gk
