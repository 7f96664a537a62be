// Polling gate parts through the registered checkers. Which parts are due lives in the gate's
// runtime (gate_runtime.hpp: each watched part's next poll and memo), so it survives restarts.
#include <algorithm>
#include <chrono>

#include "core/gates.hpp"

namespace gk {

namespace json = boost::json;

namespace {

constexpr int64_t kDefaultPollMs = 30'000;

}  // namespace

GateChecker *Gates::checker_for(std::string_view type) const {
  for (const auto &c : checkers_)
    if (c->handles(type)) return c.get();
  return nullptr;
}

void Gates::schedule_polls(TaskIndex i) {
  if (checkers_.empty()) return;
  Task &t = m_.tasks[i];
  for (const GateLeaf &leaf : gate_leaves(t.gate().config)) {
    const auto *type = leaf.config->if_contains("type");
    if (type && type->is_string() && checker_for(type->as_string()))
      t.gate().polls[leaf.path] = PartPoll{tx_.now, {}, 0};
  }
}

std::vector<Gates::DuePoll> Gates::due_polls(std::vector<GatePoll> &polls, int64_t now) {
  std::vector<DuePoll> due, riders;
  std::vector<GatePoll> rider_polls;
  for (TaskIndex i : m_.active_gates) {
    const Task &t = m_.tasks[i];
    const Goal &g = m_.goals[t.goal];
    if (!t.gate().active || t.gate().polls.empty()) continue;
    for (const GateLeaf &leaf : t.gate().undecided()) {
      auto entry = t.gate().polls.find(leaf.path);
      if (entry == t.gate().polls.end()) continue;
      const PartPoll &e = entry->second;
      // A nudged part whose coalescing window is still open rides along with a poll made anyway.
      const bool rider = e.next_ms > now;
      if (rider && (e.nudged_ms == 0 || e.next_ms - now > c_.webhook_coalesce_ms)) continue;
      const auto *type = leaf.config->if_contains("type");
      GateChecker *checker = type && type->is_string() ? checker_for(type->as_string()) : nullptr;
      if (!checker) continue;
      DuePoll d{g.id, t.id, leaf.path, t.gate().activated_ms, checker};
      d.type = type->as_string();
      if (const auto *r = leaf.config->if_contains("repo"); r && r->is_string())
        d.repo = ascii_lower(r->as_string());
      d.nudged_ms = e.nudged_ms;
      GatePoll poll;
      poll.gate = g.id + "/" + t.id + (leaf.path.empty() ? "" : "#" + leaf.path);
      poll.config = *leaf.config;
      poll.memo = e.memo;
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

std::vector<GateOutcome> Gates::run_polls(const std::vector<DuePoll> &due,
                                          std::vector<GatePoll> &polls, int64_t now,
                                          int64_t budget) {
  std::vector<GateOutcome> outcomes(polls.size());
  // One budget for the step, not one per checker: each checker gets what those before it left.
  // Wall time, not host time: it bounds how long the host waits, whatever its clock says.
  const auto began = std::chrono::steady_clock::now();
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
      const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - began)
                             .count();
      got = checker->poll(batch, now, std::max<int64_t>(budget - spent, 0));
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

void Gates::apply_polls(const std::vector<DuePoll> &due, const std::vector<GateOutcome> &outcomes) {
  for (size_t k = 0; k < due.size() && k < outcomes.size(); ++k) {
    const DuePoll &d = due[k];
    const GateOutcome &o = outcomes[k];
    auto git = m_.goal_by_id.find(d.goal_id);
    if (git == m_.goal_by_id.end()) continue;
    Goal &g = m_.goals[git->second];
    auto tit = g.by_id.find(d.task_id);
    if (tit == g.by_id.end()) continue;
    TaskIndex i = tit->second;
    Task &t = m_.tasks[i];
    // A late answer for a gate that was resolved or restarted meanwhile is ignored.
    if (!m_.active_gates.count(i) || !t.gate().active || t.gate().activated_ms != d.activated_ms) {
      tx_.event(g, &t, "late_poll_ignored", {{"part", d.path}});
      continue;
    }
    PartPoll &entry = t.gate().polls[d.path];
    // A nudge after the poll began may not be in its answer: it is confirmed by another read.
    const int64_t nudge_now = entry.nudged_ms;
    const bool announced = d.nudged_ms > 0 || nudge_now > 0;
    switch (o.kind) {
      case GateOutcome::Kind::pass:
      case GateOutcome::Kind::fail:
        check_announced(t, d, true, announced);
        tx_.event(
            g, &t, "gate_polled",
            {{"part", d.path}, {"outcome", o.kind == GateOutcome::Kind::pass ? "pass" : "fail"}});
        resolve_gate_part(i, d.path, o.kind == GateOutcome::Kind::pass, o.artifacts);
        break;
      case GateOutcome::Kind::recheck:
        tx_.event(g, &t, "gate_recheck", {{"part", d.path}, {"reason", o.reason}});
        recheck_before(i, o.reason);
        break;
      case GateOutcome::Kind::blocked:
        t.reason = o.reason;
        tx_.event(g, &t, "gate_blocked", {{"part", d.path}, {"reason", o.reason}});
        tree_.deactivate_gate(i);
        tree_.set_status(i, Status::blocked, o.reason);
        break;
      case GateOutcome::Kind::wait: {
        check_announced(t, d, o.moved, announced);
        if (o.memo.if_contains("missing_checks") != nullptr &&
            (!entry.memo.contains("missing_checks") ||
             entry.memo.at("missing_checks") != o.memo.at("missing_checks")))
          tx_.event(g, &t, "checks_missing",
                    {{"part", d.path}, {"checks", o.memo.at("missing_checks")}});
        PartPoll next{wait_until(d, o, kDefaultPollMs), o.memo, 0};
        if (nudge_now > d.nudged_ms) {
          next.next_ms = std::min(next.next_ms, nudge_now + c_.webhook_coalesce_ms);
          next.nudged_ms = nudge_now;
        } else if (!o.reason.empty() && d.nudged_ms > 0) {
          // The read failed: what the delivery announced is still to be confirmed, and its
          // verdict, when the retry finds it, was announced.
          next.nudged_ms = d.nudged_ms;
        }
        // Said once while it stays the same (a dry run's "would merge ..." on every poll).
        const auto *said = entry.memo.if_contains("said");
        const bool repeat = said && said->is_string() && said->as_string() == o.reason;
        if (o.reason.empty())
          next.memo.erase("said");
        else
          next.memo["said"] = o.reason;
        entry = std::move(next);
        if (!o.reason.empty() && !repeat)
          tx_.event(g, &t, "gate_poll_problem", {{"part", d.path}, {"reason", o.reason}});
        tx_.dirty(i);
        break;
      }
    }
  }
}

int64_t Gates::next_poll_ms() const {
  int64_t best = 0;
  for (TaskIndex i : m_.active_gates)
    for (const auto &[path, poll] : m_.tasks[i].gate().polls)
      if (best == 0 || poll.next_ms < best) best = poll.next_ms;
  return best;
}

}  // namespace gk
