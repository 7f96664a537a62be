// Gates (wait_for_signal tasks): activation with their templates rendered against finished
// tasks, resolution by signal, poll or deadline, compound verdicts, and the retry rule that sends
// a failed gate's context back to the agent before it (gates.cpp); polling through the checkers,
// decided and applied inside transactions and performed between them (gate_polls.cpp); webhook
// nudges and the feeds they earn (gate_feeds.cpp).
#pragma once

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/gate_checker.hpp"
#include "core/gate_nudge.hpp"
#include "core/signal_match.hpp"
#include "core/tree.hpp"

namespace gk {

class Gates {
 public:
  Gates(Model &model, Txn &tx, Tree &tree, const Config &config)
      : m_(model), tx_(tx), tree_(tree), c_(config) {}

  // Turns the goal's ready gates and reviews active (a review waits for a person).
  void activate_ready_other(Goal &g);
  // Resolves the gates a signal matches; {"matched": [...], "message": ...}.
  boost::json::object apply_signal(const SignalQuery &q);
  // Brings the polls of the gates a delivery names forward; gk_webhook's answer without the
  // delivery's own keys.
  boost::json::object apply_nudge(const GateNudge &n);
  void deadline_due(TaskIndex i, int64_t due_ms);  // the deadline timer of task i fired

  // Polling (gate_polls.cpp).
  void add_checker(std::shared_ptr<GateChecker> checker) {
    checkers_.push_back(std::move(checker));
  }
  bool has_checkers() const { return !checkers_.empty(); }
  struct DuePoll {
    std::string goal_id, task_id;  // names, not indexes: the model may be re-read in between
    std::string path;
    int64_t activated_ms;
    GateChecker *checker;
    std::string type, repo;  // of the part; repo lower-case, "" when it names none
    int64_t nudged_ms = 0;   // the last nudge not yet confirmed by a poll, 0 = none
    bool first = false;      // never polled before
  };
  std::vector<DuePoll> due_polls(std::vector<GatePoll> &polls, int64_t now);
  // Outside the transaction: the checkers ask their services, sharing budget_ms between them.
  std::vector<GateOutcome> run_polls(const std::vector<DuePoll> &due, std::vector<GatePoll> &polls,
                                     int64_t now, int64_t budget_ms);
  void apply_polls(const std::vector<DuePoll> &due, const std::vector<GateOutcome> &outcomes);
  int64_t next_poll_ms() const;  // the earliest poll due, 0 = none

 private:
  void activate_gate(TaskIndex i);
  void resolve_gate_part(TaskIndex i, const std::string &path, bool pass,
                         const boost::json::value &artifacts);
  void gate_passed(TaskIndex i, const boost::json::object &artifacts);
  void gate_failed(TaskIndex i, const boost::json::object &artifacts);
  // The goal's pull request head, as a gate's answer gives it (commit statuses go there).
  void note_head(const Task &t, const boost::json::object &artifacts);
  // Merge tasks (gate_merge.cpp): the head commits the gates before task i passed on, and sending
  // those gates back to check a new head.
  boost::json::array approved_heads(TaskIndex i) const;
  void recheck_before(TaskIndex i, const std::string &why);
  void schedule_polls(TaskIndex i);
  GateChecker *checker_for(std::string_view type) const;
  // Webhook feeds (gate_feeds.cpp): when a waiting part is polled next, and what a move that no
  // delivery announced says about its repository's feed.
  bool feed_trusted(const std::string &repo, const std::string &type) const;
  void note_feed(const std::string &repo, const std::string &type);
  void check_announced(Task &t, const DuePoll &d, bool moved, bool announced);
  int64_t wait_until(const DuePoll &d, const GateOutcome &o, int64_t default_ms) const;

  Model &m_;
  Txn &tx_;
  Tree &tree_;
  const Config &c_;
  std::vector<std::shared_ptr<GateChecker>> checkers_;
};

}  // namespace gk
