// Polling gate parts through the registered checkers. Which parts are due lives in the gate's
// runtime JSON ("polls": {path: {"next_ms": ..., "memo": {...}}}), so it survives restarts.
#include <algorithm>

#include "core/engine.hpp"
#include "core/signal_match.hpp"

namespace gk {

namespace json = boost::json;

namespace {

constexpr int64_t kDefaultPollMs = 30'000;

// When a webhook nudged this part and no poll has confirmed it yet; 0 = not nudged.
int64_t nudged_ms(const json::object &entry) {
  const auto *n = entry.if_contains("nudged_ms");
  return n && n->is_int64() ? n->as_int64() : 0;
}

}  // namespace

void Engine::add_checker(std::shared_ptr<GateChecker> checker) {
  std::lock_guard lock(mutex_);
  checkers_.push_back(std::move(checker));
}

GateChecker *Engine::checker_for(std::string_view type) const {
  for (const auto &c : checkers_)
    if (c->handles(type)) return c.get();
  return nullptr;
}

void Engine::schedule_polls(TaskIndex i) {
  if (checkers_.empty()) return;
  Task &t = model_.tasks[i];
  const auto &config = t.gate.at("config");
  if (!config.is_object()) return;
  json::object polls;
  for (const GateLeaf &leaf : gate_leaves(config.as_object())) {
    const auto *type = leaf.config->if_contains("type");
    if (type && type->is_string() && checker_for(type->as_string()))
      polls[leaf.path] = {{"next_ms", now_}, {"memo", json::object{}}};
  }
  if (!polls.empty()) t.gate["polls"] = std::move(polls);
}

std::vector<Engine::DuePoll> Engine::due_polls(std::vector<GatePoll> &polls, int64_t now) {
  std::vector<DuePoll> due, riders;
  std::vector<GatePoll> rider_polls;
  for (TaskIndex i : model_.active_gates) {
    const Task &t = model_.tasks[i];
    const Goal &g = model_.goals[t.goal];
    const auto *p = t.gate.if_contains("polls");
    const auto *config = t.gate.if_contains("config");
    if (!p || !p->is_object() || !config || !config->is_object()) continue;
    const auto *parts = t.gate.if_contains("parts");
    for (const GateLeaf &leaf : gate_leaves(config->as_object())) {
      const auto *entry = p->as_object().if_contains(leaf.path);
      if (!entry || !entry->is_object()) continue;
      if (parts && parts->is_object() && parts->as_object().contains(leaf.path)) continue;
      const auto &e = entry->as_object();
      const auto *next = e.if_contains("next_ms");
      if (!next || !next->is_int64()) continue;
      // A nudged part whose coalescing window is still open rides along with a poll made anyway.
      const bool rider = next->as_int64() > now;
      if (rider && (nudged_ms(e) == 0 || next->as_int64() - now > config_.webhook_coalesce_ms))
        continue;
      const auto *type = leaf.config->if_contains("type");
      GateChecker *checker = type && type->is_string() ? checker_for(type->as_string()) : nullptr;
      if (!checker) continue;
      DuePoll d{g.id, t.id, leaf.path, t.gate.at("activated_ms").as_int64(), checker};
      d.type = type->as_string();
      if (const auto *r = leaf.config->if_contains("repo"); r && r->is_string())
        d.repo = ascii_lower(r->as_string());
      d.nudged_ms = nudged_ms(e);
      GatePoll poll;
      poll.gate = g.id + "/" + t.id + (leaf.path.empty() ? "" : "#" + leaf.path);
      poll.config = *leaf.config;
      if (const auto *m = e.if_contains("memo"); m && m->is_object()) poll.memo = m->as_object();
      d.first = poll.memo.empty();
      (rider ? riders : due).push_back(std::move(d));
      (rider ? rider_polls : polls).push_back(std::move(poll));
    }
  }
  for (size_t k = 0; k < riders.size(); ++k) {
    auto same_checker = [&](const DuePoll &d) { return d.checker == riders[k].checker; };
    if (std::none_of(due.begin(), due.end(), same_checker)) continue;
    due.push_back(std::move(riders[k]));
    polls.push_back(std::move(rider_polls[k]));
  }
  return due;
}

std::vector<GateOutcome> Engine::run_polls(const std::vector<DuePoll> &due,
                                           std::vector<GatePoll> &polls, int64_t now,
                                           int64_t budget) {
  std::vector<GateOutcome> outcomes(polls.size());
  for (const auto &checker : checkers_) {
    std::vector<size_t> mine;
    std::vector<GatePoll> batch;
    for (size_t k = 0; k < due.size(); ++k)
      if (due[k].checker == checker.get()) {
        mine.push_back(k);
        batch.push_back(std::move(polls[k]));
      }
    if (batch.empty()) continue;
    std::vector<GateOutcome> got;
    try {
      got = checker->poll(batch, now, budget);
    } catch (const std::exception &e) {
      got.assign(
          batch.size(),
          GateOutcome{GateOutcome::Kind::wait, {}, std::string("poll failed: ") + e.what(), 0, {}});
    }
    for (size_t k = 0; k < mine.size() && k < got.size(); ++k)
      outcomes[mine[k]] = std::move(got[k]);
  }
  return outcomes;
}

void Engine::apply_polls(const std::vector<DuePoll> &due,
                         const std::vector<GateOutcome> &outcomes) {
  for (size_t k = 0; k < due.size() && k < outcomes.size(); ++k) {
    const DuePoll &d = due[k];
    const GateOutcome &o = outcomes[k];
    auto git = model_.goal_by_id.find(d.goal_id);
    if (git == model_.goal_by_id.end()) continue;
    Goal &g = model_.goals[git->second];
    auto tit = g.by_id.find(d.task_id);
    if (tit == g.by_id.end()) continue;
    TaskIndex i = tit->second;
    Task &t = model_.tasks[i];
    // A late answer for a gate that was resolved or restarted meanwhile is ignored.
    const auto *activated = t.gate.if_contains("activated_ms");
    if (!model_.active_gates.count(i) || !activated || activated->as_int64() != d.activated_ms) {
      event(g, &t, "late_poll_ignored", {{"part", d.path}});
      continue;
    }
    auto &entry = t.gate["polls"].as_object()[d.path];
    // A nudge after the poll began may not be in its answer: it is confirmed by another read.
    const int64_t nudge_now = entry.is_object() ? nudged_ms(entry.as_object()) : 0;
    const bool announced = d.nudged_ms > 0 || nudge_now > 0;
    switch (o.kind) {
      case GateOutcome::Kind::pass:
      case GateOutcome::Kind::fail:
        check_announced(t, d, true, announced);
        event(g, &t, "gate_polled",
              {{"part", d.path}, {"outcome", o.kind == GateOutcome::Kind::pass ? "pass" : "fail"}});
        resolve_gate_part(i, d.path, o.kind == GateOutcome::Kind::pass, o.artifacts);
        break;
      case GateOutcome::Kind::blocked:
        t.reason = o.reason;
        event(g, &t, "gate_blocked", {{"part", d.path}, {"reason", o.reason}});
        deactivate_gate(i);
        set_status(i, Status::blocked, o.reason);
        break;
      case GateOutcome::Kind::wait: {
        check_announced(t, d, o.moved, announced);
        json::object next{{"next_ms", wait_until(d, o, kDefaultPollMs)}, {"memo", o.memo}};
        if (nudge_now > d.nudged_ms) {
          next["next_ms"] =
              std::min(next["next_ms"].as_int64(), nudge_now + config_.webhook_coalesce_ms);
          next["nudged_ms"] = nudge_now;
        } else if (!o.reason.empty() && d.nudged_ms > 0) {
          // The read failed: what the delivery announced is still to be confirmed, and its
          // verdict, when the retry finds it, was announced.
          next["nudged_ms"] = d.nudged_ms;
        }
        entry = std::move(next);
        if (!o.reason.empty())
          event(g, &t, "gate_poll_problem", {{"part", d.path}, {"reason", o.reason}});
        dirty(i);
        break;
      }
    }
  }
}

int64_t Engine::next_poll_ms() const {
  int64_t best = 0;
  for (TaskIndex i : model_.active_gates) {
    const auto *p = model_.tasks[i].gate.if_contains("polls");
    if (!p || !p->is_object()) continue;
    for (const auto &kv : p->as_object()) {
      const auto *n =
          kv.value().is_object() ? kv.value().as_object().if_contains("next_ms") : nullptr;
      if (n && n->is_int64() && (best == 0 || n->as_int64() < best)) best = n->as_int64();
    }
  }
  return best;
}

}  // namespace gk
