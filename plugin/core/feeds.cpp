// Webhook feeds: once deliveries for a repository arrive, its gates need not be polled at the
// checker's pace. A delivery makes the gates it names due at once, so a gate that hears nothing is
// polled only every webhook_reconcile_ms, which is what makes an unchanged cycle free. Trust is
// earned per (repository, gate type) by a delivery of that type, and lost when a poll finds a move
// that no delivery announced (the hook lacks an event, the relay was down): the gates of that
// feed then poll at their own pace again for a while.
#include <algorithm>

#include "core/engine.hpp"

namespace gk {

namespace {

constexpr int64_t kFeedQuietMs = 24 * 3600'000;  // no delivery this long: the feed is not trusted
constexpr int64_t kDistrustMs = 3600'000;        // after a missed delivery
constexpr int64_t kFeedWriteEveryMs = 60'000;    // last_ms is kept to this precision

}  // namespace

bool Engine::feed_trusted(const std::string &repo, const std::string &type) const {
  if (config_.webhook_reconcile_ms == 0 || repo.empty()) return false;
  auto it = model_.feeds.find({repo, type});
  if (it == model_.feeds.end()) return false;
  const WebhookFeed &f = it->second;
  return f.last_ms > 0 && now_ - f.last_ms <= kFeedQuietMs && now_ >= f.distrust_until_ms;
}

void Engine::note_feed(const std::string &repo, const std::string &type) {
  WebhookFeed &f = model_.feeds[{repo, type}];
  // Deliveries come by the thousand; a row write per minute and feed is enough.
  if (f.last_ms != 0 && now_ >= f.last_ms && now_ - f.last_ms < kFeedWriteEveryMs) return;
  f.last_ms = now_;
  store_.put_feed(repo, type, f);
}

void Engine::check_announced(Task &t, const DuePoll &d, bool moved, bool announced) {
  if (!moved || announced || d.first || !feed_trusted(d.repo, d.type)) return;
  WebhookFeed &f = model_.feeds[{d.repo, d.type}];
  f.distrust_until_ms = now_ + kDistrustMs;
  store_.put_feed(d.repo, d.type, f);
  event(model_.goals[t.goal], &t, "webhook_missed",
        {{"part", d.path},
         {"repo", d.repo},
         {"type", d.type},
         {"message", "the gate moved and no delivery said so; " + d.type + " gates of " + d.repo +
                         " poll at their own pace for the next hour"}});
}

int64_t Engine::wait_until(const DuePoll &d, const GateOutcome &o, int64_t default_ms) const {
  int64_t next = o.next_poll_ms > 0 ? o.next_poll_ms : now_ + default_ms;
  // A problem (a fault, a rate limit, a new head) keeps the checker's schedule.
  if (o.reason.empty() && feed_trusted(d.repo, d.type))
    next = std::max(next, now_ + config_.webhook_reconcile_ms);
  return next;
}

}  // namespace gk
