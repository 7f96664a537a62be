// Pushes from outside (webhook deliveries) that say gates may have changed. A delivery never
// resolves a gate by itself: one check run completing does not mean all passed. It makes the
// matching gates due and the next step confirms them with a read, batched with every other gate
// due then; so webhooks speed gates up while polling stays the one source of truth (and still
// reconciles a delivery that never came). The read is not made here: GitHub wants an answer to a
// delivery within seconds, and one read per delivery would spend the rate limit fastest exactly
// when many gates change at once.
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
bool part_matches(const json::object &leaf, const PartPoll *poll, const GateNudge &n,
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
    if (const auto *head = poll->memo.if_contains("head"); head && head->is_string())
      return ascii_lower(head->as_string()) == n.sha;
  return false;
}

}  // namespace

json::object Engine::nudge(const GateNudge &n) {
  GateNudge q = n;
  std::string repo = ascii_lower(q.repo);
  q.sha = ascii_lower(q.sha);
  json::array matched;
  bool duplicate = false;
  mutate([&] {
    if (!q.delivery.empty() && !store_.remember_delivery(q.delivery, now_, kDeliveriesKept)) {
      duplicate = true;
      return;
    }
    // No gate type: a delivery that concerns no gate (a ping, an ignored event), only recorded.
    if (q.types.empty()) return;
    for (const std::string &type : q.types) note_feed(repo, type);
    const int64_t due = now_ + config_.webhook_coalesce_ms;
    for (TaskIndex i : model_.active_gates) {
      Task &t = model_.tasks[i];
      if (!t.gate.active) continue;
      bool hit = false;
      for (const GateLeaf &leaf : gate_leaves(t.gate.config)) {
        auto poll = t.gate.polls.find(leaf.path);
        PartPoll *p = poll == t.gate.polls.end() ? nullptr : &poll->second;
        if (!part_matches(*leaf.config, p, q, repo)) continue;
        hit = true;
        if (p) {
          // The first delivery of a burst sets the time of the read that confirms them all.
          if (p->next_ms > due) p->next_ms = due;
          p->nudged_ms = now_;
        }
        if (q.restart) t.gate.parts.erase(leaf.path);
      }
      if (!hit) continue;
      Goal &g = model_.goals[t.goal];
      event(g, &t, q.restart ? "gate_restarted" : "gate_nudged",
            {{"event", q.event}, {"delivery", q.delivery}});
      dirty(i);
      matched.push_back(json::object{{"goal_id", g.id}, {"task_id", t.id}});
    }
  });
  json::object result{{"duplicate", duplicate}};
  if (duplicate) {
    result["message"] = "delivery " + q.delivery + " was handled before; nothing changed";
  } else if (matched.empty()) {
    std::string what = repo;
    for (int64_t pr : q.prs) what += (what.size() == repo.size() ? "#" : ",") + std::to_string(pr);
    if (!q.sha.empty()) what += " at " + q.sha;
    result["message"] = "no active gate watches " + what;
  } else {
    result["message"] =
        std::to_string(matched.size()) + " gate(s) will be confirmed by a read at the next step";
  }
  result["scheduled"] = matched;
  result["matched"] = std::move(matched);
  return result;
}

}  // namespace gk
