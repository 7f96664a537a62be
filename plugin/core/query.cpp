// Read-only views for hosts and people: goal status, the task tree, one task, the event log.
#include <algorithm>

#include "core/engine.hpp"
#include "core/error.hpp"
#include "core/json_util.hpp"
#include "core/signal_match.hpp"

namespace gk {

namespace json = boost::json;

namespace {

// The types of a gate's leaves that no signal or poll has decided yet: ["human_approval"] says
// that only a person can pass it now, whatever the gate's shape.
json::array unresolved_types(const GateRuntime &gate) {
  json::array types;
  for (const GateLeaf &leaf : gate.undecided()) {
    const auto *type = leaf.config->if_contains("type");
    if (type && std::find(types.begin(), types.end(), *type) == types.end()) types.push_back(*type);
  }
  return types;
}

}  // namespace

json::object Engine::status_json(const Goal &g) const {
  const Task &root = model_.tasks[g.root];
  json::array active, review, blocked;
  auto gi = static_cast<int32_t>(&g - model_.goals.data());
  auto add_active = [&](TaskIndex i) {
    const Task &t = model_.tasks[i];
    json::object a{{"task_id", t.id.empty() ? g.id : t.id}, {"title", t.def->title}};
    if (t.job != JobState::none) {
      a["job_key"] = tree_.job_key(t);
      a["job"] = t.job == JobState::offered ? "offered" : "running";
      a["session"] = t.pinned ? "pinned" : "spawned";
      a["since_ms"] = t.started_ms;
      if (!t.host_ref.empty()) a["host_ref"] = t.host_ref;
    } else {
      a["gate"] = t.def->wait_for.contains("type") ? t.def->wait_for.at("type") : json::value();
      a["since_ms"] = t.gate().active ? json::value(t.gate().activated_ms) : json::value();
      a["waits_for"] = unresolved_types(t.gate());
      json::array missing;
      for (const auto &[path, poll] : t.gate().polls)
        if (const auto *m = poll.memo.if_contains("missing_checks"); m && m->is_array())
          for (const auto &name : m->as_array()) missing.push_back(name);
      if (!missing.empty()) a["missing_checks"] = std::move(missing);
    }
    active.push_back(std::move(a));
  };
  for (TaskIndex i : g.offered) add_active(i);
  for (TaskIndex i : g.running) add_active(i);
  for (TaskIndex i : model_.active_gates)
    if (model_.tasks[i].goal == gi) add_active(i);
  // Reviews and blocked tasks are rare; the walk is over the goal's tree only on request.
  for (TaskIndex i : tree_.subtree(g.root)) {
    const Task &t = model_.tasks[i];
    // Parents follow their children; the root waits for a review of its own only for its plan.
    if (!t.is_leaf() && !(i == g.root && g.spec == SpecPhase::awaiting_approval)) continue;
    if (t.status == Status::pending_review)
      review.push_back({{"task_id", t.id.empty() ? g.id : t.id}, {"title", t.def->title}});
    if (t.status == Status::blocked)
      blocked.push_back({{"task_id", t.id.empty() ? g.id : t.id}, {"reason", t.reason}});
  }
  json::object o{{"goal_id", g.id},
                 {"title", g.def.title.empty() ? g.id : g.def.title},
                 {"source", g.source},
                 {"state", to_string(g.state)},
                 {"status", goal_status(g, root.status)},
                 {"progress", {{"done", g.leaves_finished}, {"total", g.leaves}}},
                 {"active", std::move(active)},
                 {"pending_review", std::move(review)},
                 {"blocked", std::move(blocked)}};
  if (!g.closed.empty()) o["reason"] = g.closed;
  if (!g.pull.empty()) {
    o["pr"] = g.pull;
    o["trigger"] = g.trigger_id;
  }
  if (g.discovery_paused) o["paused_by"] = "discovery";
  if (g.spec != SpecPhase::none)
    o["spec"] = g.spec == SpecPhase::decomposing ? "decomposing" : "awaiting_approval";
  return o;
}

json::object Engine::task_json(TaskIndex top, bool with_children) const {
  auto one = [&](TaskIndex i) {
    const Task &t = model_.tasks[i];
    const Goal &g = model_.goals[t.goal];
    json::object o{{"task_id", t.id.empty() ? g.id : t.id},
                   {"title", t.def->title},
                   {"status", to_string(t.status)},
                   {"stage", to_string(t.def->stage)},
                   {"session_policy", to_string(t.def->session_policy)},
                   {"attempt", t.attempt}};
    if (t.job != JobState::none) {
      o["job_key"] = tree_.job_key(t);
      o["session"] = t.pinned ? "pinned" : "spawned";
    }
    // Kept after the job ends: which of the host's builds ran the last attempt.
    if (!t.host_ref.empty()) o["host_ref"] = t.host_ref;
    if (t.def->parallel) o["parallel"] = true;
    if (t.def->has_needs) {
      json::array needs;
      for (const auto &n : t.def->needs) needs.emplace_back(n);
      o["needs"] = std::move(needs);
    }
    if (t.def->priority != 0) o["priority"] = t.def->priority;
    // What an agent task runs, as the file wrote it (templates not rendered): hosts check that
    // a relative command will be found before any job starts.
    if (t.is_leaf() && t.def->stage == Stage::agent_work && t.parent != kNoTask) {
      json::array run;
      for (const std::string &arg : t.def->run) run.emplace_back(arg);
      o["run"] = std::move(run);
    }
    if (t.def->requires_approval) o["requires_approval"] = true;
    if (const auto *type = t.def->wait_for.if_contains("type")) o["gate"] = *type;
    if (t.dynamic) o["dynamic"] = true;
    if (!t.summary.empty()) o["summary"] = t.summary;
    if (!t.reason.empty()) o["reason"] = t.reason;
    if (!t.artifacts.empty()) o["artifacts"] = t.artifacts;
    if (t.retries_used) o["retries_used"] = t.retries_used;
    return o;
  };
  json::object out = one(top);
  if (!with_children) {
    const Task &t = model_.tasks[top];
    if (!t.failure.empty()) out["failure"] = t.failure;
    if (!t.feedback.empty()) out["feedback"] = t.feedback;
    if (t.gate().active) out["gate"] = t.gate().to_json();
    if (t.def->stage == Stage::wait_for_signal) out["wait_for"] = t.def->wait_for;
    out["max_retries"] = t.def->max_retries;
    out["start_failures"] = t.start_failures;
    out["reclaims"] = t.reclaims;
    return out;
  }
  // Iterative, so a deep tree cannot overflow the stack; children arrays are filled in order.
  struct Frame {
    TaskIndex task;
    json::object *node;
  };
  std::vector<Frame> work{{top, &out}};
  while (!work.empty()) {
    Frame f = work.back();
    work.pop_back();
    const Task &t = model_.tasks[f.task];
    if (t.children.empty()) continue;
    auto &kids = (*f.node)["children"].emplace_array();
    kids.reserve(t.children.size());
    for (TaskIndex c : t.children) kids.push_back(one(c));
    for (size_t k = 0; k < t.children.size(); ++k)
      work.push_back({t.children[k], &kids[k].as_object()});
  }
  return out;
}

json::object Engine::query(const json::object &q) {
  check_keys(q, {"what", "goal_id", "task_id", "after", "limit"}, "query");
  auto what = opt_string(q, "what", "query").value_or("status");
  auto goal_id = opt_string(q, "goal_id", "query");
  std::lock_guard lock(mutex_);
  refresh();
  if (what == "status") {
    json::array goals;
    if (goal_id) {
      goals.push_back(status_json(model_.goals[tree_.find_goal(*goal_id)]));
    } else {
      for (const Goal &g : model_.goals) goals.push_back(status_json(g));
    }
    return {{"goals", std::move(goals)}};
  }
  if (what == "tree") {
    if (!goal_id) fail(Errc::invalid, "query: \"tree\" needs \"goal_id\"");
    const Goal &g = model_.goals[tree_.find_goal(*goal_id)];
    return {{"goal_id", g.id},
            {"state", to_string(g.state)},
            {"status", goal_status(g, model_.tasks[g.root].status)},
            {"tree", task_json(g.root, true)}};
  }
  if (what == "task") {
    auto task_id = opt_string(q, "task_id", "query");
    if (!task_id) fail(Errc::invalid, "query: \"task\" needs \"task_id\"");
    std::string ref = goal_id ? *goal_id + "/" + *task_id : *task_id;
    return task_json(tree_.resolve_task_ref(ref), false);
  }
  if (what == "events") {
    int64_t after = opt_int(q, "after", "query").value_or(0);
    int64_t limit = opt_int(q, "limit", "query").value_or(100);
    if (limit < 1 || limit > 10000) fail(Errc::invalid, "query: \"limit\" must be 1..10000");
    if (goal_id) tree_.find_goal(*goal_id);
    auto events = store_.read_events(goal_id.value_or(""), after, limit);
    int64_t last = events.empty() ? after : events.back().as_object().at("id").as_int64();
    return {{"events", std::move(events)}, {"last_id", last}};
  }
  fail(Errc::invalid,
       "query: unknown \"what\": \"" + what + "\" (expected status, tree, task or events)");
}

}  // namespace gk
