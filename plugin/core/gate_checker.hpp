// How gates that watch the outside world (gh_ci, gh_review, centaur_review) are polled. The
// engine decides which gate parts are due; a checker (plugin/github, plugin/centaur) asks the
// service and says pass, fail, wait or blocked. Checkers run outside the state transaction, so a
// slow service never holds the state file's write lock.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gk {

struct GatePoll {
  std::string gate;            // "goal/task" plus "#path" for a part of a compound gate
  boost::json::object config;  // the part's rendered config: {"type": "gh_ci", "repo": ...}
  boost::json::object memo;    // what the checker kept from its last poll of this part
};

struct GateOutcome {
  // recheck: what the gates before this one approved is no longer what the service holds (a merge
  // task found the pull request's head moved): they check again, and this gate waits for them.
  enum class Kind { wait, pass, fail, blocked, recheck };
  Kind kind = Kind::wait;
  boost::json::object artifacts;  // pass/fail: what the agent or a person should see
  std::string reason;  // blocked: what a person must fix; wait: a transport problem; recheck: why
  int64_t next_poll_ms = 0;  // wait: when to ask again (absolute, host time); 0 = default
  boost::json::object memo;  // kept for the next poll (ETag, head commit, ...)
  // wait: the service moved since the last poll in a way a webhook announces (a new head commit).
  // With pass and fail the engine knows that by itself.
  bool moved = false;
};

class GateChecker {
 public:
  virtual ~GateChecker() = default;
  virtual bool handles(std::string_view gate_type) const = 0;
  // One outcome per poll, in order, within about budget_ms. Must not throw for service faults:
  // those are a wait with a reason (they never resolve a gate).
  virtual std::vector<GateOutcome> poll(const std::vector<GatePoll> &due, int64_t now_ms,
                                        int64_t budget_ms) = 0;
};

}  // namespace gk
