#include "core/engine.hpp"

#include <chrono>
#include <set>

#include "core/error.hpp"
#include "core/goal_file.hpp"
#include "core/ids.hpp"
#include "core/job_result.hpp"
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

void Engine::commit(sql::Transaction &tx) {
  tx_.flush();
  tx.commit();
  if (tx_.reload_after_commit) stale_ = true;
  tx_.reload_after_commit = false;
}

void Engine::refresh() {
  if (store_.changed_by_others() || stale_) {
    model_ = store_.read_all();
    tree_.rebuild_indexes();
    stale_ = false;
    next_discovery_ms_ = 0;  // another process may have loaded or run triggers
  }
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

json::object Engine::add_goal(GoalDef &def, std::string_view source_name,
                              const std::string &trigger_id, const std::string &pull) {
  json::object r;
  r["goal_id"] = def.id;
  auto existing = model_.goal_by_id.find(def.id);
  std::string digest = definition_digest(def);
  if (existing != model_.goal_by_id.end()) {
    if (store_.goal_digest(def.id) != digest) {
      std::string diff =
          describe_difference(json::value(to_json(tree_.stored_definition(existing->second))),
                              json::value(to_json(run_ordered(def))));
      fail(Errc::conflict, "goal '" + def.id + "' is already loaded with a different definition (" +
                               diff + "); use a new goal id or a new state file");
    }
    r["created"] = false;
    r["tasks"] = static_cast<int64_t>(model_.goals[existing->second].by_id.size());
    return r;
  }
  tx_.touched = true;
  Goal g;
  g.id = def.id;
  g.source = std::string(source_name);
  g.def = header_of(def);
  g.trigger_id = trigger_id;
  g.pull = pull;
  store_.insert_goal(g, digest, tx_.now);
  auto gi = static_cast<int32_t>(model_.goals.size());
  model_.goal_by_id.emplace(g.id, gi);
  model_.goals.push_back(std::move(g));
  model_.tasks.reserve(model_.tasks.size() + count_tasks(def.root));
  tree_.insert_tree(def.root, gi, kNoTask, false);
  auto count = static_cast<int64_t>(model_.goals[gi].by_id.size());
  json::object data{{"source", std::string(source_name)}, {"tasks", count}};
  if (!trigger_id.empty()) {
    data["trigger"] = trigger_id;
    data["pr"] = pull;
  }
  if (!def.template_id.empty()) {
    data["template"] = def.template_id;
    data["params"] = def.params;
  }
  tx_.event(model_.goals[gi], nullptr, "goal_loaded", std::move(data));
  r["created"] = true;
  r["tasks"] = count;
  return r;
}

json::object Engine::load(std::string_view yaml, std::string_view source_name) {
  // Parse and validate before touching the state: a failed load writes nothing.
  GoalFile file = read_goal_file(
      yaml, source_name, [&](const std::string &path) { return read_import(source_name, path); });
  return mutate([&] {
    json::array templates;
    for (const GoalTemplate &t : file.templates) {
      if (store_.put_template(t, tx_.now)) tx_.touched = true;
      json::array names;
      for (const ParamSpec &p : t.params) names.emplace_back(p.name);
      templates.push_back(json::object{{"template_id", t.id}, {"params", std::move(names)}});
    }
    store_.put_triggers(source_name, file.triggers);
    next_discovery_ms_ = 0;
    json::array triggers;
    for (const TriggerDef &t : file.triggers) triggers.emplace_back(t.id);
    json::array results;
    std::set<std::string_view> declared;
    for (GoalDef &def : file.goals) {
      results.push_back(add_goal(def, source_name));
      declared.insert(def.id);
    }
    // Goals made earlier from this file's templates (gk_instantiate, discovery) are its goals.
    json::array instances;
    for (const Goal &g : model_.goals) {
      if (!g.def.template_id.empty() && g.source == source_name && !declared.contains(g.id))
        instances.emplace_back(g.id);
    }
    return json::object{{"goals", std::move(results)},
                        {"templates", std::move(templates)},
                        {"triggers", std::move(triggers)},
                        {"instances", std::move(instances)}};
  });
}

void Engine::start(std::string_view goal_id, const json::object &options) {
  check_keys(options, {"spec"}, "start options");
  bool spec = opt_bool(options, "spec", "start options").value_or(false);
  mutate([&] { start_goal(model_.goals[tree_.find_goal(goal_id)], spec); });
}

void Engine::start_goal(Goal &g, bool spec) {
  {
    switch (g.state) {
      case GoalState::running:
      case GoalState::paused:
      case GoalState::finished:
        return;  // running the same file again resumes, it does not restart
      case GoalState::stopped:
        if (g.spec == SpecPhase::none && !spec) {
          tree_.resume_goal(g);
          return;
        }
        break;
      case GoalState::loaded:
        break;
    }
    g.state = GoalState::running;
    tx_.dirty(g);
    if (spec) {
      g.spec = SpecPhase::decomposing;
      tx_.event(g, nullptr, "goal_started", {{"spec", true}});
      tree_.set_status(g.root, Status::active, "decomposing the goal");
      tree_.start_job(g.root, true);
      return;
    }
    tx_.event(g, nullptr, "goal_started", {});
    tree_.enter(g.root);
    tree_.on_goal_status(g);
  }
}

namespace {

goalkeeper::JobKey parse_key(std::string_view key) {
  auto k = goalkeeper::parse_job_key(key);
  if (!k) fail(Errc::invalid, "job key '" + std::string(key) + "' is not GOAL/TASK#ATTEMPT");
  return *k;
}

// The host's name for a job is shown to people and kept in events: a bounded line of text, never
// a URL with credentials in it (secrets stay out of the state).
void check_host_ref(const json::object &ev, const std::string &type) {
  auto ref = opt_string(ev, "host_ref", "job event");
  if (!ref) return;
  if (type != "started")
    fail(Errc::invalid, "job event: \"host_ref\" belongs to a started event, not " + type);
  if (ref->empty() || ref->size() > 2048)
    fail(Errc::invalid,
         "job event: \"host_ref\" must be 1 to 2048 bytes, found " + std::to_string(ref->size()));
  for (unsigned char c : *ref)
    if (c < 0x20 || c == 0x7f)
      fail(Errc::invalid, "job event: \"host_ref\" holds a control character");
  const size_t scheme = ref->find("://");
  if (scheme != std::string::npos) {
    const size_t authority_end = ref->find_first_of("/?#", scheme + 3);
    if (ref->substr(scheme + 3, authority_end - (scheme + 3)).find('@') != std::string::npos)
      fail(Errc::invalid,
           "job event: \"host_ref\" is a URL with credentials (user@ or user:password@); "
           "pass the URL without them");
  }
}

}  // namespace

void Engine::job_event(std::string_view key, const json::object &ev) {
  check_keys(ev, {"type", "pid", "host_ref", "reason", "exit_code", "result", "result_file"},
             "job event");
  auto type = opt_string(ev, "type", "job event").value_or("");
  if (type != "started" && type != "start_failed" && type != "heartbeat" && type != "finished")
    fail(Errc::invalid,
         "job event: \"type\" must be started, start_failed, heartbeat or finished, found \"" +
             type + "\"");
  goalkeeper::JobKey k = parse_key(key);
  // The result file is the host's: read it before the transaction, so no I/O waits inside it.
  json::object result =
      type == "finished" ? read_job_result(ev, config_.max_result_bytes) : json::object{};
  if (type == "finished" && !ev.contains("exit_code") && !result.contains("status"))
    fail(Errc::invalid, "job event: finished needs \"exit_code\" or a result with \"status\"");
  opt_int(ev, "exit_code", "job event");
  check_host_ref(ev, type);
  auto reason = opt_string(ev, "reason", "job event").value_or("");

  mutate([&] { jobs_.apply_event(k, key, type, reason, ev, result); });
}

json::object Engine::signal(const json::object &doc) {
  SignalQuery q = parse_signal(doc);
  return mutate([&] { return gates_.apply_signal(q); });
}

json::object Engine::nudge(const GateNudge &n) {
  return mutate([&] {
    json::object r = gates_.apply_nudge(n);
    const bool duplicate = r.contains("duplicate") && r.at("duplicate").as_bool();
    if (n.discovery && !duplicate) r["discovery"] = discovery_due_for(n.repo);
    return r;
  });
}

void Engine::add_checker(std::shared_ptr<GateChecker> checker) {
  std::lock_guard lock(mutex_);
  gates_.add_checker(std::move(checker));
}

}  // namespace gk
