#include "core/gate_runtime.hpp"

namespace gk {

namespace json = boost::json;

namespace {

int64_t int_of(const json::object &o, const char *key) {
  const auto *v = o.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : 0;
}

}  // namespace

std::vector<GateLeaf> GateRuntime::undecided() const {
  std::vector<GateLeaf> out;
  for (const GateLeaf &leaf : gate_leaves(config))
    if (!parts.count(leaf.path)) out.push_back(leaf);
  return out;
}

Verdict GateRuntime::verdict() const {
  json::object decided;
  for (const auto &[path, part] : parts)
    decided[path] = json::object{{"status", part.pass ? "pass" : "fail"}};
  return evaluate_gate(config, decided);
}

json::object GateRuntime::to_json() const {
  if (!active) return {};
  json::object parts_json;
  for (const auto &[path, part] : parts)
    parts_json[path] = {{"status", part.pass ? "pass" : "fail"}, {"artifacts", part.artifacts}};
  json::object o{
      {"config", config}, {"activated_ms", activated_ms}, {"parts", std::move(parts_json)}};
  if (deadline_ms) o["deadline_ms"] = *deadline_ms;
  if (!polls.empty()) {
    json::object polls_json;
    for (const auto &[path, poll] : polls) {
      json::object p{{"next_ms", poll.next_ms}, {"memo", poll.memo}};
      if (poll.nudged_ms > 0) p["nudged_ms"] = poll.nudged_ms;
      polls_json[path] = std::move(p);
    }
    o["polls"] = std::move(polls_json);
  }
  return o;
}

GateRuntime GateRuntime::from_json(const json::object &o) {
  GateRuntime g;
  const auto *config = o.if_contains("config");
  if (!config || !config->is_object()) return g;
  g.active = true;
  g.config = config->as_object();
  g.activated_ms = int_of(o, "activated_ms");
  if (const auto *d = o.if_contains("deadline_ms"); d && d->is_int64())
    g.deadline_ms = d->as_int64();
  if (const auto *p = o.if_contains("parts"); p && p->is_object())
    for (const auto &kv : p->as_object()) {
      if (!kv.value().is_object()) continue;
      const auto &part = kv.value().as_object();
      const auto *status = part.if_contains("status");
      const auto *artifacts = part.if_contains("artifacts");
      g.parts[kv.key()] = {status && status->is_string() && status->as_string() == "pass",
                           artifacts ? *artifacts : json::value()};
    }
  if (const auto *p = o.if_contains("polls"); p && p->is_object())
    for (const auto &kv : p->as_object()) {
      if (!kv.value().is_object()) continue;
      const auto &e = kv.value().as_object();
      PartPoll poll;
      poll.next_ms = int_of(e, "next_ms");
      poll.nudged_ms = int_of(e, "nudged_ms");
      if (const auto *m = e.if_contains("memo"); m && m->is_object()) poll.memo = m->as_object();
      g.polls[kv.key()] = std::move(poll);
    }
  return g;
}

}  // namespace gk
