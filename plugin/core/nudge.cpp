// Pushes from outside (webhook deliveries) that say gates may have changed. A delivery never
// resolves a gate by itself: one check run completing does not mean all passed. It makes the
// matching gates due now and confirms with a read, so webhooks speed gates up while polling
// stays the one source of truth (and still reconciles a delivery that never came).
#include <algorithm>
#include <cctype>
#include <optional>

#include "core/engine.hpp"
#include "core/signal_match.hpp"

namespace gk {

namespace json = boost::json;

namespace {

constexpr int64_t kDeliveriesKept = 10'000;

// Does this part of a gate watch what the delivery names?
bool part_matches(const json::object &leaf, const json::object *poll, const Engine::GateNudge &n,
                  const std::string &repo) {
  const auto *type = leaf.if_contains("type");
  if (!type || !type->is_string() ||
      std::find(n.types.begin(), n.types.end(), std::string_view(type->as_string())) ==
          n.types.end())
    return false;
  const auto *r = leaf.if_contains("repo");
  if (!r || !r->is_string() || ascii_lower(r->as_string()) != repo) return false;
  if (auto pr = pr_number(leaf.if_contains("pr"));
      pr && std::find(n.prs.begin(), n.prs.end(), *pr) != n.prs.end())
    return true;
  if (n.sha.empty()) return false;
  // Deliveries for forks carry no pull request numbers: match the head commit instead, as the
  // gate's config names it or as its last poll saw it.
  if (const auto *sha = leaf.if_contains("sha"); sha && sha->is_string())
    return ascii_lower(sha->as_string()) == n.sha;
  if (poll)
    if (const auto *memo = poll->if_contains("memo"); memo && memo->is_object())
      if (const auto *head = memo->as_object().if_contains("head"); head && head->is_string())
        return ascii_lower(head->as_string()) == n.sha;
  return false;
}

}  // namespace

json::object Engine::nudge(const GateNudge &n, int64_t budget_ms) {
  GateNudge q = n;
  std::string repo = ascii_lower(q.repo);
  q.sha = ascii_lower(q.sha);
  std::vector<std::pair<std::string, std::string>> names;  // matched gates: (goal, task)
  bool duplicate = false;
  mutate([&] {
    if (!q.delivery.empty() && !store_.remember_delivery(q.delivery, now_, kDeliveriesKept)) {
      duplicate = true;
      return;
    }
    for (TaskIndex i : model_.active_gates) {
      Task &t = model_.tasks[i];
      const auto *config = t.gate.if_contains("config");
      if (!config || !config->is_object()) continue;
      // Lookups only (if_contains): operator[] may rehash the object and move `config`.
      json::value *pv = t.gate.if_contains("polls");
      json::object *polls = pv && pv->is_object() ? &pv->as_object() : nullptr;
      json::value *parts = t.gate.if_contains("parts");
      bool hit = false;
      for (const GateLeaf &leaf : gate_leaves(config->as_object())) {
        json::object *poll = nullptr;
        if (json::value *p = polls ? polls->if_contains(leaf.path) : nullptr; p && p->is_object())
          poll = &p->as_object();
        if (!part_matches(*leaf.config, poll, q, repo)) continue;
        hit = true;
        if (poll) (*poll)["next_ms"] = now_;
        if (q.restart && parts && parts->is_object()) parts->as_object().erase(leaf.path);
      }
      if (!hit) continue;
      Goal &g = model_.goals[t.goal];
      event(g, &t, q.restart ? "gate_restarted" : "gate_nudged",
            {{"event", q.event}, {"delivery", q.delivery}});
      dirty(i);
      names.emplace_back(g.id, t.id);
    }
  });
  json::object result{{"duplicate", duplicate}};
  json::array matched, resolved, scheduled;
  if (duplicate) {
    result["message"] = "delivery " + q.delivery + " was handled before; nothing changed";
  } else if (names.empty()) {
    std::string what = repo;
    for (int64_t pr : q.prs) what += (what.size() == repo.size() ? "#" : ",") + std::to_string(pr);
    if (!q.sha.empty()) what += " at " + q.sha;
    result["message"] = "no active gate watches " + what;
  } else if (!checkers_.empty()) {
    // Confirm with a read now, outside the transaction.
    std::vector<GatePoll> polls;
    std::vector<DuePoll> due;
    int64_t now;
    {
      std::lock_guard lock(mutex_);
      now = now_ = clock();
      refresh();
      std::set<TaskIndex> only;
      for (const auto &[goal, task] : names) {
        auto git = model_.goal_by_id.find(goal);
        if (git == model_.goal_by_id.end()) continue;
        auto &by_id = model_.goals[git->second].by_id;
        if (auto it = by_id.find(task); it != by_id.end()) only.insert(it->second);
      }
      due = due_polls(polls, now, &only);
    }
    auto outcomes = run_polls(due, polls, now, budget_ms);
    mutate([&] { apply_polls(due, outcomes); });
  }
  if (!duplicate) {
    std::lock_guard lock(mutex_);
    refresh();
    for (const auto &[goal, task] : names) {
      json::object ref{{"goal_id", goal}, {"task_id", task}};
      matched.push_back(ref);
      auto git = model_.goal_by_id.find(goal);
      if (git == model_.goal_by_id.end()) continue;
      auto &by_id = model_.goals[git->second].by_id;
      auto it = by_id.find(task);
      if (it == by_id.end()) continue;
      if (model_.active_gates.count(it->second)) {
        scheduled.push_back(ref);
      } else {
        ref["status"] = to_string(model_.tasks[it->second].status);
        resolved.push_back(std::move(ref));
      }
    }
    if (!names.empty())
      result["message"] = std::to_string(resolved.size()) + " gate(s) resolved, " +
                          std::to_string(scheduled.size()) + " still waiting";
  }
  result["matched"] = std::move(matched);
  result["resolved"] = std::move(resolved);
  result["scheduled"] = std::move(scheduled);
  return result;
}

}  // namespace gk
