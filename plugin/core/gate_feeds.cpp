// Pushes from outside (webhook deliveries) that say gates may have changed. A delivery never
// resolves a gate by itself: one check run completing does not mean all passed. It makes the
// matching gates due and the next step confirms them with a read, batched with every other gate
// due then; so webhooks speed gates up while polling stays the one source of truth (and still
// reconciles a delivery that never came). The read is not made here: GitHub wants an answer to a
// delivery within seconds, and one read per delivery would spend the rate limit fastest exactly
// when many gates change at once.
//
// Webhook feeds: once deliveries for a repository arrive, its gates need not be polled at the
// checker's pace. A delivery makes the gates it names due at once, so a gate that hears nothing is
// polled only every webhook_reconcile_ms, which is what makes an unchanged cycle free. Trust is
// earned per (repository, gate type) by a delivery of that type, and lost when a poll finds a move
// that no delivery announced (the hook lacks an event, the relay was down): the gates of that
// feed then poll at their own pace again for a while.
#include <algorithm>
#include <optional>

#include "core/gates.hpp"

namespace gk {

namespace json = boost::json;

namespace {

constexpr int64_t kFeedQuietMs = 24 * 3600'000;  // no delivery this long: the feed is not trusted
constexpr int64_t kDistrustMs = 3600'000;        // after a missed delivery
constexpr int64_t kFeedWriteEveryMs = 60'000;    // last_ms is kept to this precision

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

bool Gates::feed_trusted(const std::string &repo, const std::string &type) const {
  if (c_.webhook_reconcile_ms == 0 || repo.empty()) return false;
  auto it = m_.feeds.find({repo, type});
  if (it == m_.feeds.end()) return false;
  const WebhookFeed &f = it->second;
  return f.last_ms > 0 && tx_.now - f.last_ms <= kFeedQuietMs && tx_.now >= f.distrust_until_ms;
}

void Gates::note_feed(const std::string &repo, const std::string &type) {
  WebhookFeed &f = m_.feeds[{repo, type}];
  // Deliveries come by the thousand; a row write per minute and feed is enough.
  if (f.last_ms != 0 && tx_.now >= f.last_ms && tx_.now - f.last_ms < kFeedWriteEveryMs) return;
  f.last_ms = tx_.now;
  tx_.store.put_feed(repo, type, f);
}

void Gates::check_announced(Task &t, const DuePoll &d, bool moved, bool announced) {
  if (!moved || announced || d.first || !feed_trusted(d.repo, d.type)) return;
  WebhookFeed &f = m_.feeds[{d.repo, d.type}];
  f.distrust_until_ms = tx_.now + kDistrustMs;
  tx_.store.put_feed(d.repo, d.type, f);
  tx_.event(m_.goals[t.goal], &t, "webhook_missed",
            {{"part", d.path},
             {"repo", d.repo},
             {"type", d.type},
             {"message", "the gate moved and no delivery said so; " + d.type + " gates of " +
                             d.repo + " poll at their own pace for the next hour"}});
}

int64_t Gates::wait_until(const DuePoll &d, const GateOutcome &o, int64_t default_ms) const {
  int64_t next = o.next_poll_ms > 0 ? o.next_poll_ms : tx_.now + default_ms;
  // A problem (a fault, a rate limit, a new head) keeps the checker's schedule.
  if (o.reason.empty() && feed_trusted(d.repo, d.type))
    next = std::max(next, tx_.now + c_.webhook_reconcile_ms);
  return next;
}

json::object Gates::apply_nudge(const GateNudge &n) {
  GateNudge q = n;
  std::string repo = ascii_lower(q.repo);
  q.sha = ascii_lower(q.sha);
  json::array matched;
  bool duplicate = false;
  [&] {
    if (!q.delivery.empty() && !tx_.store.remember_delivery(q.delivery, tx_.now, kDeliveriesKept)) {
      duplicate = true;
      return;
    }
    // No gate type: a delivery that concerns no gate (a ping, an ignored event), only recorded.
    if (q.types.empty()) return;
    for (const std::string &type : q.types) note_feed(repo, type);
    const int64_t due = tx_.now + c_.webhook_coalesce_ms;
    for (TaskIndex i : m_.active_gates) {
      Task &t = m_.tasks[i];
      if (!t.gate().active) continue;
      bool hit = false;
      for (const GateLeaf &leaf : gate_leaves(t.gate().config)) {
        auto poll = t.gate().polls.find(leaf.path);
        PartPoll *p = poll == t.gate().polls.end() ? nullptr : &poll->second;
        if (!part_matches(*leaf.config, p, q, repo)) continue;
        hit = true;
        if (p) {
          // The first delivery of a burst sets the time of the read that confirms them all.
          if (p->next_ms > due) p->next_ms = due;
          p->nudged_ms = tx_.now;
        }
        if (q.restart) t.gate().parts.erase(leaf.path);
      }
      if (!hit) continue;
      Goal &g = m_.goals[t.goal];
      tx_.event(g, &t, q.restart ? "gate_restarted" : "gate_nudged",
                {{"event", q.event}, {"delivery", q.delivery}});
      tx_.dirty(i);
      matched.push_back(json::object{{"goal_id", g.id}, {"task_id", t.id}});
    }
  }();
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
