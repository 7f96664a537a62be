// The engine's in-memory picture of the state file: goals, their task trees and the indexes that
// keep every step cheap (ready sets, timers). The store persists the runtime fields; the indexes
// are derived again whenever the state is read from disk.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/gate_runtime.hpp"
#include "core/goal_def.hpp"
#include "core/status.hpp"

namespace gk {

// Where the current attempt's job is in its life.
enum class JobState : uint8_t { none, offered, running };

enum class GoalState : uint8_t { loaded, running, paused, stopped, finished };
const char *to_string(GoalState s);
GoalState goal_state_from_string(std::string_view s);

// Spec mode: the goal's own job decomposes it, then a person approves the plan.
enum class SpecPhase : uint8_t { none, decomposing, awaiting_approval };

using TaskIndex = int32_t;
inline constexpr TaskIndex kNoTask = -1;

struct Task {
  int64_t rowid = 0;
  int32_t goal = -1;
  TaskIndex parent = kNoTask;
  std::vector<TaskIndex> children;  // in run order: priority descending, then declaration
  int32_t position = 0;             // index in parent's children
  std::string id;
  std::unique_ptr<TaskDef> def;  // without children
  bool dynamic = false;          // added at run time (subtasks of a job result)

  // Runtime, persisted.
  Status status = Status::pending;
  JobState job = JobState::none;
  bool pinned = false;            // the current attempt runs in the goal's pinned session
  bool review_announced = false;  // await_review was handed to a host
  int32_t attempt = 0;
  int32_t retries_used = 0;
  int32_t reclaims = 0;
  int32_t start_failures = 0;
  int64_t not_before_ms = 0;  // start_failed backoff
  int64_t lease_until_ms = 0;
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  std::string host_ref;  // the host's name for the current attempt's job (build id, URL)
  std::string summary;
  std::string reason;    // why blocked / failed
  std::string feedback;  // last review rejection
  std::string failure;   // failure context for the next prompt
  boost::json::object artifacts;
  // A wait_for_signal task's runtime while it waits (gate_runtime.hpp). Held apart: most tasks
  // never wait, and a GateRuntime is many times the size of the pointer (16 MB at 100,000 tasks).
  GateRuntime &gate() {
    if (!gate_) gate_ = std::make_unique<GateRuntime>();
    return *gate_;
  }
  const GateRuntime &gate() const {
    static const GateRuntime none;
    return gate_ ? *gate_ : none;
  }
  void clear_gate() { gate_.reset(); }
  std::unique_ptr<GateRuntime> gate_;

  // Derived, rebuilt on load.
  StatusCounts counts;     // of the children (parents only)
  int32_t seq_cursor = 0;  // first child not done/skipped (sequential parents)
  int32_t unmet_needs = 0;
  std::vector<TaskIndex> dependents;  // siblings that name this task in `needs`
  bool entered = false;               // its turn has come (root: goal started)
  bool queued = false;                // sits in a ready set of its goal
  bool dirty = false;                 // changed in the current call, to be written

  bool is_leaf() const { return children.empty(); }
};

// Orders a goal's ready tasks: higher priority first, then declaration (row) order.
struct ReadyKey {
  int32_t neg_priority;
  int64_t rowid;
  TaskIndex task;
  auto operator<=>(const ReadyKey &) const = default;
};

struct Goal {
  std::string id;
  GoalDef def;  // root.tasks left empty: the tree lives in Model::tasks
  std::string source;
  TaskIndex root = kNoTask;
  GoalState state = GoalState::loaded;
  SpecPhase spec = SpecPhase::none;
  bool finish_announced = false;
  // Discovery (trigger.hpp): the trigger that made the goal and its pull request ("acme/shop#11");
  // whether discovery paused it (the pull request stopped matching); why discovery ended it
  // ("pull request closed"): a goal finished with status "closed".
  std::string trigger_id, pull;
  bool discovery_paused = false;
  std::string closed;
  // The pull request's head as last seen (discovery, gates), and the commit status last posted
  // on it ("state\ndescription\nsha"), so a status is sent on transitions only.
  std::string head_sha, status_posted;

  // Derived.
  bool dirty = false;               // changed in the current call, to be written
  TaskIndex pinned_task = kNoTask;  // the task that holds the pinned session
  int32_t spawned_running = 0;      // spawned jobs offered or running
  int32_t leaves = 0;
  int32_t leaves_finished = 0;  // done or skipped
  std::set<ReadyKey> ready_reuse, ready_spawn, ready_auto;
  std::vector<TaskIndex> ready_other;  // gates and human reviews: no capacity needed
  std::set<TaskIndex> offered;         // run_job offered, waiting for started/start_failed
  std::set<TaskIndex> running;         // agent jobs started
  std::set<TaskIndex> announce;        // await_review still to hand out
  std::unordered_map<std::string, TaskIndex> by_id;
};

// A goal's status as hosts see it: its root task's, or "closed" when discovery ended it (its pull
// request was closed or merged outside goalkeeper).
inline const char *goal_status(const Goal &g, Status root) {
  return g.closed.empty() ? to_string(root) : "closed";
}

enum class TimerKind : uint8_t { backoff, lease, gate_deadline };
struct Timer {
  int64_t due_ms;
  TaskIndex task;
  TimerKind kind;
  bool operator>(const Timer &o) const { return due_ms > o.due_ms; }
};

// What webhook deliveries have shown of one (repository, gate type): the last delivery, and until
// when a delivery that never came (a gate moved with no delivery announcing it) keeps the feed
// from being trusted.
struct WebhookFeed {
  int64_t last_ms = 0;
  int64_t distrust_until_ms = 0;
};

struct Model {
  std::vector<Goal> goals;
  std::vector<Task> tasks;
  std::unordered_map<std::string, int32_t> goal_by_id;
  // Jobs to cancel (job_key -> reason), repeated until the host reports the job finished.
  std::map<std::string, std::string> cancels;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers;
  std::set<TaskIndex> active_gates;  // wait_for_signal tasks that are active
  // (lower-case "owner/name", gate type) -> feed
  std::map<std::pair<std::string, std::string>, WebhookFeed> feeds;
  int32_t spawned_running = 0;

  Goal &goal_of(const Task &t) { return goals[t.goal]; }
};

}  // namespace gk
