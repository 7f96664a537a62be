// wait_for_signal tasks: activation (templates rendered against finished tasks), resolution by
// signal or poll, compound verdicts, timeouts, and the retry rule that sends a failed gate's
// context back to the agent before it.
#include "core/gates.hpp"

#include "core/error.hpp"
#include "core/failure_text.hpp"
#include "core/model_lookup.hpp"

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

void Gates::activate_ready_other(Goal &g) {
  if (g.state != GoalState::running || g.ready_other.empty()) return;
  std::vector<TaskIndex> ready;
  ready.swap(g.ready_other);
  for (TaskIndex i : ready) {
    Task &t = m_.tasks[i];
    if (!t.queued || t.status != Status::pending) continue;
    t.queued = false;
    if (t.def->stage == Stage::wait_for_signal) {
      activate_gate(i);
    } else {
      t.review_announced = false;
      g.announce.insert(i);
      tree_.set_status(i, Status::pending_review, "awaits review");
    }
  }
}

void Gates::activate_gate(TaskIndex i) {
  Task &t = m_.tasks[i];
  Goal &g = m_.goals[t.goal];
  json::value config;
  try {
    config = render_json_templates(json::value(t.def->wait_for), ModelLookup(m_, t));
  } catch (const Error &e) {
    t.reason = std::string("cannot start the gate: ") + e.what();
    tree_.set_status(i, Status::blocked, t.reason);
    return;
  }
  t.gate() = GateRuntime{};
  t.gate().active = true;
  t.gate().config = config.as_object();
  if (t.def->wait_for.contains("type") && t.def->wait_for.at("type") == "gh_merge")
    t.gate().config["approved"] = approved_heads(i);
  t.gate().activated_ms = tx_.now;
  if (int64_t timeout = gate_timeout_s(t.gate().config); timeout > 0) {
    t.gate().deadline_ms = tx_.now + timeout * 1000;
    m_.timers.push({*t.gate().deadline_ms, i, TimerKind::gate_deadline});
  }
  m_.active_gates.insert(i);
  schedule_polls(i);
  tx_.dirty(i);
  tree_.set_status(i, Status::active, "waiting for a signal");
  tx_.event(g, &t, "gate_active", {{"config", config}});
}

void Gates::resolve_gate_part(TaskIndex i, const std::string &path, bool pass,
                              const json::value &artifacts) {
  Task &t = m_.tasks[i];
  t.gate().parts[path] = GatePart{pass, artifacts};
  tx_.dirty(i);
  Verdict v = t.gate().active ? t.gate().verdict() : (pass ? Verdict::pass : Verdict::fail);
  if (v == Verdict::wait) return;
  // Gather what the parts said: a failure carries the failed parts' artifacts.
  json::object gathered;
  for (const auto &[part_path, part] : t.gate().parts) {
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

void Gates::note_head(const Task &t, const json::object &artifacts) {
  const auto *head = artifacts.if_contains("head_sha");
  if (!head || !head->is_string() || head->as_string().empty()) return;
  Goal &g = m_.goals[t.goal];
  if (g.head_sha == head->as_string()) return;
  g.head_sha = head->as_string();
  tx_.dirty(g);
}

void Gates::gate_passed(TaskIndex i, const json::object &artifacts) {
  Task &t = m_.tasks[i];
  note_head(t, artifacts);
  for (const auto &kv : artifacts) t.artifacts[kv.key()] = kv.value();
  tx_.event(m_.goals[t.goal], &t, "gate_passed", {{"artifacts", artifacts}});
  tree_.deactivate_gate(i);
  t.finished_ms = tx_.now;
  tree_.set_status(i, Status::done, "gate passed");
}

void Gates::gate_failed(TaskIndex i, const json::object &artifacts) {
  Task &t = m_.tasks[i];
  note_head(t, artifacts);
  Goal &g = m_.goals[t.goal];
  tx_.event(g, &t, "gate_failed", {{"artifacts", artifacts}});
  tree_.deactivate_gate(i);
  if (t.retries_used < t.def->max_retries) {
    ++t.retries_used;
    std::string key = "retry_" + std::to_string(t.retries_used);
    t.artifacts[key] = artifacts;
    std::string type = t.def->wait_for.contains("type")
                           ? std::string(t.def->wait_for.at("type").as_string())
                           : std::string("gate");
    std::string text = failure_text(t.id, type, t.retries_used, t.def->max_retries, artifacts);
    tx_.event(g, &t, "gate_retry", {{"retry", t.retries_used}, {"artifacts", artifacts}});
    TaskIndex agent = tree_.closest_preceding_agent(i);
    if (agent != kNoTask) {
      tree_.reset_range_for_rerun(agent, i, Tree::Context::failure, text);
    } else {
      tree_.set_status(i, Status::pending, "gate restarts");
      tree_.queue_ready(i);
    }
    return;
  }
  t.reason = "gate failed: " + json::serialize(artifacts);
  t.finished_ms = tx_.now;
  tree_.set_status(i, Status::failed, t.reason);
}

json::object Gates::apply_signal(const SignalQuery &q) {
  std::vector<TaskIndex> candidates;
  std::string none_reason;
  if (q.task_id) {
    TaskIndex i = tree_.resolve_task_ref(*q.task_id);
    if (m_.active_gates.count(i))
      candidates.push_back(i);
    else
      none_reason = "task " + *q.task_id + " is not an active gate (it is " +
                    to_string(m_.tasks[i].status) + ")";
  } else {
    candidates.assign(m_.active_gates.begin(), m_.active_gates.end());
  }
  struct Hit {
    TaskIndex task;
    std::string path;
  };
  std::vector<Hit> hits;
  for (TaskIndex i : candidates) {
    const Task &t = m_.tasks[i];
    if (!t.gate().active) continue;
    for (const GateLeaf &leaf : t.gate().undecided()) {
      const auto *type = leaf.config->if_contains("type");
      bool type_ok = type && type->is_string() && type->as_string() == q.type;
      if (q.task_id ? type_ok : leaf_matches(*leaf.config, q)) hits.push_back({i, leaf.path});
    }
  }
  json::array matched;
  TaskIndex last = kNoTask;
  for (const Hit &h : hits) {
    Task &t = m_.tasks[h.task];
    if (!m_.active_gates.count(h.task)) continue;  // an earlier part already decided it
    tx_.event(m_.goals[t.goal], &t, "signal",
              {{"type", q.type}, {"status", q.pass ? "pass" : "fail"}, {"part", h.path}});
    if (h.task != last) matched.push_back({{"goal_id", m_.goals[t.goal].id}, {"task_id", t.id}});
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
}

void Gates::deadline_due(TaskIndex i, int64_t due_ms) {
  Task &t = m_.tasks[i];
  if (!m_.active_gates.count(i) || t.gate().deadline_ms != due_ms) return;
  json::object why{{"reason", "timeout"}};
  json::array missing;
  for (const auto &[path, poll] : t.gate().polls)
    if (const auto *m = poll.memo.if_contains("missing_checks"); m && m->is_array())
      for (const auto &name : m->as_array()) missing.push_back(name);
  if (!missing.empty()) {
    std::string names;
    for (const auto &n : missing)
      names += (names.empty() ? "'" : ", '") + std::string(n.as_string()) + "'";
    why["missing_checks"] = missing;
    why["message"] = "timed out: the required check" +
                     std::string(missing.size() > 1 ? "s " : " ") + names +
                     (missing.size() > 1 ? " never reported" : " never reported");
  }
  tx_.event(m_.goals[t.goal], &t, "gate_timeout", why);
  gate_failed(i, why);
}

}  // namespace gk
