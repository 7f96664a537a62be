// The engine: every rule of docs/design.md applied to the model, one transaction per call.
// Public methods mirror the C ABI; they throw gk::Error and the ABI layer maps it to a status.
#pragma once

#include <boost/json.hpp>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/config.hpp"
#include "core/gate_checker.hpp"
#include "core/gate_nudge.hpp"
#include "core/host.hpp"
#include "core/model.hpp"
#include "core/store.hpp"

namespace gk {

class Engine {
 public:
  Engine(Config config, HostHooks hooks);

  boost::json::object load(std::string_view yaml, std::string_view source_name);
  void start(std::string_view goal_id, const boost::json::object &options);
  void control(std::string_view goal_id, std::string_view command);
  boost::json::object step(const boost::json::object &input);
  void job_event(std::string_view job_key, const boost::json::object &event);
  void review(std::string_view task_ref, const boost::json::object &decision);
  boost::json::object signal(const boost::json::object &signal);
  boost::json::object query(const boost::json::object &query);

  const Config &config() const { return config_; }
  // The matching active gates are polled at the next step (after webhook_coalesce_ms, so a burst
  // of deliveries costs one read) instead of at their next interval, and the delivery's
  // repository counts as fed by webhooks. Returns {"duplicate", "matched", "scheduled",
  // "message"}.
  boost::json::object nudge(const GateNudge &nudge);

  // Registers a poller for gate types it handles (before the first step).
  void add_checker(std::shared_ptr<GateChecker> checker);

 private:
  // One state-changing call: lock, BEGIN IMMEDIATE, catch up with other processes, run `f`,
  // write what changed, COMMIT. On failure the transaction rolls back and the model is read
  // again from disk before the next call, so memory never disagrees with the file.
  template <class F>
  auto mutate(F &&f);
  void refresh();         // re-read the model when another process changed the file
  void writable() const;  // fails (conflict) on a read-only handle
  int64_t clock() const;

  // Model building (engine_index.cpp).
  void rebuild_indexes();
  GoalDef stored_definition(int32_t goal) const;
  void link_needs(TaskIndex parent);
  TaskIndex insert_tree(const TaskDef &top, int32_t goal, TaskIndex parent, bool dynamic);

  // Status and readiness (readiness.cpp).
  void set_status(TaskIndex i, Status s, std::string_view why);
  void on_satisfied_changed(TaskIndex i, bool satisfied);
  void enter(TaskIndex i);
  bool ready_in_parent(TaskIndex i) const;
  void queue_ready(TaskIndex i);
  void unqueue(TaskIndex i);
  enum class Context { failure, feedback };
  void reset_range_for_rerun(TaskIndex agent, TaskIndex upto, Context kind, std::string_view text);
  void on_goal_status(Goal &g);
  void resume_goal(Goal &g);
  void stop_goal(Goal &g, std::string_view reason);

  // Dispatch and jobs (dispatch.cpp, job_events.cpp).
  void dispatch(Goal &g, int &capacity);
  void start_job(TaskIndex i, bool pinned);
  void release_slot(TaskIndex i);
  void reclaim(TaskIndex i, std::string_view why);
  void apply_finished(TaskIndex i, const boost::json::object &event,
                      const boost::json::object &result);
  void finish_failed(TaskIndex i, std::string_view reason);
  void add_subtasks(TaskIndex parent, const boost::json::value &subtasks);
  void cancel_jobs(Goal &g, std::string_view reason);
  boost::json::object run_job_action(TaskIndex i);

  // Gates and reviews (gates.cpp, reviews.cpp).
  void activate_ready_other(Goal &g);
  void activate_gate(TaskIndex i);
  void resolve_gate_part(TaskIndex i, const std::string &path, bool pass,
                         const boost::json::value &artifacts);
  void gate_passed(TaskIndex i, const boost::json::object &artifacts);
  void gate_failed(TaskIndex i, const boost::json::object &artifacts);
  void deactivate_gate(TaskIndex i);
  TaskIndex closest_preceding_agent(TaskIndex i) const;

  // Polling (polls.cpp): collected and applied inside transactions, performed between them.
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
  std::vector<GateOutcome> run_polls(const std::vector<DuePoll> &due, std::vector<GatePoll> &polls,
                                     int64_t now, int64_t budget);
  void apply_polls(const std::vector<DuePoll> &due, const std::vector<GateOutcome> &outcomes);
  void schedule_polls(TaskIndex i);
  GateChecker *checker_for(std::string_view type) const;
  int64_t next_poll_ms() const;
  // Webhook feeds (feeds.cpp): when a waiting part is polled next, and what a move that no
  // delivery announced says about its repository's feed.
  bool feed_trusted(const std::string &repo, const std::string &type) const;
  void note_feed(const std::string &repo, const std::string &type);
  void check_announced(Task &t, const DuePoll &d, bool moved, bool announced);
  int64_t wait_until(const DuePoll &d, const GateOutcome &o, int64_t default_ms) const;

  // Timers (step.cpp).
  void run_due_timers();
  void check_alive_jobs();

  // Lookups.
  int32_t find_goal(std::string_view goal_id) const;  // throws not_found
  TaskIndex resolve_task_ref(std::string_view ref) const;
  std::string job_key(const Task &t) const;
  std::string task_ref(const Task &t) const;
  std::string render(TaskIndex i, std::string_view text) const;

  // Bookkeeping of one call.
  void dirty(TaskIndex i) {
    touched_ = true;
    Task &t = model_.tasks[i];
    if (!t.dirty) dirty_tasks_.push_back(i);
    t.dirty = true;
  }
  void dirty(Goal &g) {
    touched_ = true;
    if (!g.dirty) dirty_goals_.push_back(static_cast<int32_t>(&g - model_.goals.data()));
    g.dirty = true;
  }
  void event(const Goal &g, const Task *t, std::string_view kind, const boost::json::object &data);
  void flush();

  void review_plan(Goal &g, bool approve, const std::string &feedback);
  std::vector<TaskIndex> subtree(TaskIndex top) const;
  boost::json::object status_json(const Goal &g) const;
  boost::json::object task_json(TaskIndex i, bool with_children) const;

  Config config_;
  HostHooks hooks_;
  Store store_;
  Model model_;
  std::mutex mutex_;
  bool stale_ = true;                   // model must be read from disk before use
  int64_t now_ = 0;                     // the host's time for the current call
  bool touched_ = false;                // the current call changed the model
  bool reload_after_commit_ = false;    // rows were deleted: read the model again next call
  std::vector<TaskIndex> dirty_tasks_;  // each with its dirty flag set: no duplicates
  std::vector<int32_t> dirty_goals_;
  std::vector<std::shared_ptr<GateChecker>> checkers_;
};

template <class F>
inline auto Engine::mutate(F &&f) {
  writable();
  std::lock_guard lock(mutex_);
  sql::Transaction tx(store_.db());
  now_ = clock();
  refresh();
  touched_ = false;
  try {
    if constexpr (std::is_void_v<decltype(f())>) {
      f();
      flush();
      tx.commit();
      if (reload_after_commit_) stale_ = true;
      reload_after_commit_ = false;
    } else {
      auto result = f();
      flush();
      tx.commit();
      if (reload_after_commit_) stale_ = true;
      reload_after_commit_ = false;
      return result;
    }
  } catch (...) {
    if (touched_ || reload_after_commit_) stale_ = true;
    reload_after_commit_ = false;
    dirty_tasks_.clear();
    dirty_goals_.clear();
    throw;
  }
}

}  // namespace gk
