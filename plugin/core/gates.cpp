// wait_for_signal tasks: activation (templates rendered against finished tasks), resolution by
// signal or poll, compound verdicts, timeouts, and the retry rule that sends a failed gate's
// context back to the agent before it.
#include "core/engine.hpp"
#include "core/error.hpp"
#include "core/model_lookup.hpp"
#include "core/signal_match.hpp"

namespace gk {

namespace json = boost::json;

namespace {

// The smallest timeout in the gate's tree (a compound may give its parts their own).
int64_t gate_timeout_s(const json::object &config) {
  int64_t best = 0;
  if (const auto *t = config.if_contains("timeout_s"); t && t->is_int64() && t->as_int64() > 0)
    best = t->as_int64();
  for (const char *mode : {"all", "any"}) {
    const auto *list = config.if_contains(mode);
    if (!list || !list->is_array()) continue;
    for (const auto &part : list->as_array()) {
      if (!part.is_object()) continue;
      int64_t t = gate_timeout_s(part.as_object());
      if (t > 0 && (best == 0 || t < best)) best = t;
    }
  }
  return best;
}

}  // namespace

std::string Engine::render(TaskIndex i, std::string_view text) const {
  if (text.find("{{") == std::string_view::npos) return std::string(text);
  return render_template(text, ModelLookup(model_, model_.tasks[i]));
}

void Engine::activate_ready_other(Goal &g) {
  if (g.state != GoalState::running || g.ready_other.empty()) return;
  std::vector<TaskIndex> ready;
  ready.swap(g.ready_other);
  for (TaskIndex i : ready) {
    Task &t = model_.tasks[i];
    if (!t.queued || t.status != Status::pending) continue;
    t.queued = false;
    if (t.def->stage == Stage::wait_for_signal) {
      activate_gate(i);
    } else {
      t.review_announced = false;
      g.announce.insert(i);
      set_status(i, Status::pending_review, "awaits review");
    }
  }
}

void Engine::activate_gate(TaskIndex i) {
  Task &t = model_.tasks[i];
  Goal &g = model_.goals[t.goal];
  json::value config;
  try {
    config = render_json_templates(json::value(t.def->wait_for), ModelLookup(model_, t));
  } catch (const Error &e) {
    t.reason = std::string("cannot start the gate: ") + e.what();
    set_status(i, Status::blocked, t.reason);
    return;
  }
  t.gate = GateRuntime{};
  t.gate.active = true;
  t.gate.config = config.as_object();
  t.gate.activated_ms = now_;
  if (int64_t timeout = gate_timeout_s(t.gate.config); timeout > 0) {
    t.gate.deadline_ms = now_ + timeout * 1000;
    model_.timers.push({*t.gate.deadline_ms, i, TimerKind::gate_deadline});
  }
  model_.active_gates.insert(i);
  schedule_polls(i);
  dirty(i);
  set_status(i, Status::active, "waiting for a signal");
  event(g, &t, "gate_active", {{"config", config}});
}

void Engine::deactivate_gate(TaskIndex i) {
  Task &t = model_.tasks[i];
  model_.active_gates.erase(i);
  t.gate = GateRuntime{};
  dirty(i);
}

void Engine::resolve_gate_part(TaskIndex i, const std::string &path, bool pass,
                               const json::value &artifacts) {
  Task &t = model_.tasks[i];
  t.gate.parts[path] = GatePart{pass, artifacts};
  dirty(i);
  Verdict v = t.gate.active ? t.gate.verdict() : (pass ? Verdict::pass : Verdict::fail);
  if (v == Verdict::wait) return;
  // Gather what the parts said: a failure carries the failed parts' artifacts.
  json::object gathered;
  for (const auto &[part_path, part] : t.gate.parts) {
    if (part.pass != (v == Verdict::pass)) continue;
    if (part_path.empty() && part.artifacts.is_object())
      for (const auto &x : part.artifacts.as_object()) gathered[x.key()] = x.value();
    else if (!part_path.empty())
      gathered[part_path] = part.artifacts;
  }
  if (v == Verdict::pass)
    gate_passed(i, gathered);
  else
    gate_failed(i, gathered);
}

void Engine::gate_passed(TaskIndex i, const json::object &artifacts) {
  Task &t = model_.tasks[i];
  for (const auto &kv : artifacts) t.artifacts[kv.key()] = kv.value();
  event(model_.goals[t.goal], &t, "gate_passed", {{"artifacts", artifacts}});
  deactivate_gate(i);
  t.finished_ms = now_;
  set_status(i, Status::done, "gate passed");
}

void Engine::gate_failed(TaskIndex i, const json::object &artifacts) {
  Task &t = model_.tasks[i];
  Goal &g = model_.goals[t.goal];
  event(g, &t, "gate_failed", {{"artifacts", artifacts}});
  deactivate_gate(i);
  if (t.retries_used < t.def->max_retries) {
    ++t.retries_used;
    std::string key = "retry_" + std::to_string(t.retries_used);
    t.artifacts[key] = artifacts;
    std::string type = t.def->wait_for.contains("type")
                           ? std::string(t.def->wait_for.at("type").as_string())
                           : std::string("gate");
    std::string text = "The gate '" + t.id + "' (" + type + ") failed (retry " +
                       std::to_string(t.retries_used) + " of " +
                       std::to_string(t.def->max_retries) + "): " + json::serialize(artifacts);
    event(g, &t, "gate_retry", {{"retry", t.retries_used}, {"artifacts", artifacts}});
    TaskIndex agent = closest_preceding_agent(i);
    if (agent != kNoTask) {
      reset_range_for_rerun(agent, i, Context::failure, text);
    } else {
      set_status(i, Status::pending, "gate restarts");
      queue_ready(i);
    }
    return;
  }
  t.reason = "gate failed: " + json::serialize(artifacts);
  t.finished_ms = now_;
  set_status(i, Status::failed, t.reason);
}

TaskIndex Engine::closest_preceding_agent(TaskIndex i) const {
  const Task &t = model_.tasks[i];
  if (t.parent == kNoTask) return kNoTask;
  const Task &p = model_.tasks[t.parent];
  for (int32_t pos = t.position; pos-- > 0;) {
    TaskIndex c = p.children[pos];
    if (model_.tasks[c].def->stage == Stage::agent_work) return c;
  }
  return kNoTask;
}

json::object Engine::signal(const json::object &doc) {
  SignalQuery q = parse_signal(doc);
  return mutate([&] {
    std::vector<TaskIndex> candidates;
    std::string none_reason;
    if (q.task_id) {
      TaskIndex i = resolve_task_ref(*q.task_id);
      if (model_.active_gates.count(i))
        candidates.push_back(i);
      else
        none_reason = "task " + *q.task_id + " is not an active gate (it is " +
                      to_string(model_.tasks[i].status) + ")";
    } else {
      candidates.assign(model_.active_gates.begin(), model_.active_gates.end());
    }
    struct Hit {
      TaskIndex task;
      std::string path;
    };
    std::vector<Hit> hits;
    for (TaskIndex i : candidates) {
      const Task &t = model_.tasks[i];
      if (!t.gate.active) continue;
      for (const GateLeaf &leaf : t.gate.undecided()) {
        const auto *type = leaf.config->if_contains("type");
        bool type_ok = type && type->is_string() && type->as_string() == q.type;
        if (q.task_id ? type_ok : leaf_matches(*leaf.config, q)) hits.push_back({i, leaf.path});
      }
    }
    json::array matched;
    TaskIndex last = kNoTask;
    for (const Hit &h : hits) {
      Task &t = model_.tasks[h.task];
      if (!model_.active_gates.count(h.task)) continue;  // an earlier part already decided it
      event(model_.goals[t.goal], &t, "signal",
            {{"type", q.type}, {"status", q.pass ? "pass" : "fail"}, {"part", h.path}});
      if (h.task != last)
        matched.push_back({{"goal_id", model_.goals[t.goal].id}, {"task_id", t.id}});
      last = h.task;
      resolve_gate_part(h.task, h.path, q.pass, q.artifacts);
    }
    json::object result{{"matched", matched}};
    if (matched.empty())
      result["message"] =
          none_reason.empty() ? "no active " + q.type + " gate matches the signal" : none_reason;
    else
      result["message"] = "resolved " + std::to_string(matched.size()) + " gate(s)";
    return result;
  });
}

}  // namespace gk
