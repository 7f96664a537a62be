// The engine: the thin coordinator of one transaction per call. Public methods mirror the C ABI
// (they throw gk::Error and the ABI layer maps it to a status). The state is divided like a
// build in ninja: the model (model.hpp) is the state file in memory; the tree (tree.hpp) is its
// state machine, statuses and readiness; jobs (jobs.hpp) place work and apply what hosts report;
// gates (gates.hpp) wait, poll and resolve; a Txn (txn.hpp) records what one call changed. The
// engine takes the lock, begins, lets them act, writes what changed and commits.
#pragma once

#include <boost/json.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <type_traits>

#include "core/commit_status.hpp"
#include "core/config.hpp"
#include "core/gate_checker.hpp"
#include "core/gate_nudge.hpp"
#include "core/gates.hpp"
#include "core/host.hpp"
#include "core/jobs.hpp"
#include "core/model.hpp"
#include "core/pull_finder.hpp"
#include "core/store.hpp"
#include "core/tree.hpp"
#include "core/txn.hpp"

namespace gk {

// The text of a file that a goal file imports (a path relative to the importing file's folder,
// or absolute). gk::Error(invalid) names the file and why it cannot be read.
std::string read_import(std::string_view importer, const std::string &path);

class Engine {
 public:
  Engine(Config config, HostHooks hooks);

  boost::json::object load(std::string_view yaml, std::string_view source_name);
  // A goal from a stored template (engine_templates.cpp): {"goal_id", "template_id", "params",
  // "created", "tasks"}; the same params again give the same goal, created once.
  boost::json::object instantiate(std::string_view template_id, const boost::json::object &params);
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
  // Registers how discovery searches for pull requests (before the first step).
  void set_pull_finder(std::shared_ptr<PullFinder> finder) { finder_ = std::move(finder); }
  // Registers how commit statuses reach pull requests (before the first step).
  void set_status_poster(std::shared_ptr<StatusPoster> poster) { poster_ = std::move(poster); }
  // Runs the due triggers (all with "force", one with "trigger"); "dry_run" changes nothing.
  // One object per trigger searched: {"trigger", "requests", "actions": [{"pr", "action",
  // "goal_id", "reason"}], "error"?} (discovery.cpp).
  boost::json::array discover(const boost::json::object &options, int64_t budget_ms);

 private:
  // One state-changing call: lock, BEGIN IMMEDIATE, catch up with other processes, run `f`,
  // write what changed, COMMIT. On failure the transaction rolls back and the model is read
  // again from disk before the next call, so memory never disagrees with the file.
  template <class F>
  auto mutate(F &&f);
  void refresh();         // re-read the model when another process changed the file
  void writable() const;  // fails (conflict) on a read-only handle
  int64_t clock() const;
  void commit(sql::Transaction &tx);

  // Stores a validated goal (or finds it already stored): gk_load's answer for one goal.
  boost::json::object add_goal(GoalDef &def, std::string_view source_name,
                               const std::string &trigger_id = {}, const std::string &pull = {});
  void start_goal(Goal &g, bool spec);
  struct DiscoveryCycle;
  boost::json::object apply_discovery(DiscoveryCycle &c, bool dry_run);
  void close_goal(Goal &g, const std::string &why);
  bool merging(const Goal &g) const;  // a merge task of the goal has sent (or is sending) a merge
  // The triggers whose query can match a pull request of `repo` become due now; their ids.
  boost::json::array discovery_due_for(const std::string &repo);
  // Commit statuses (pr_status.cpp): what a goal's pull request should say now; sending those
  // that changed.
  std::optional<CommitStatus> wanted_status(const Goal &g) const;
  // Under the lock: the statuses that differ from what each goal last posted (keys: what is
  // recorded once posted). Then, outside it: send them and record those GitHub took.
  void changed_statuses(std::vector<CommitStatus> &want, std::vector<std::string> &keys) const;
  void post_statuses(const std::vector<CommitStatus> &want, const std::vector<std::string> &keys,
                     int64_t budget_ms);
  void run_due_timers();                                                 // step.cpp
  void review_plan(Goal &g, bool approve, const std::string &feedback);  // reviews.cpp
  boost::json::object status_json(const Goal &g) const;                  // query.cpp
  boost::json::object task_json(TaskIndex i, bool with_children) const;

  Config config_;
  HostHooks hooks_;
  Store store_;
  Model model_;
  Txn tx_{model_, store_, hooks_};
  Tree tree_{model_, tx_};
  Jobs jobs_{model_, tx_, tree_, config_, hooks_};
  Gates gates_{model_, tx_, tree_, config_};
  std::shared_ptr<PullFinder> finder_;
  std::shared_ptr<StatusPoster> poster_;
  int64_t next_discovery_ms_ = 0;  // host time the first trigger is due; 0 = read the triggers
  std::mutex mutex_;
  bool stale_ = true;  // the model must be read from disk before use
};

template <class F>
inline auto Engine::mutate(F &&f) {
  writable();
  std::lock_guard lock(mutex_);
  sql::Transaction tx(store_.db());
  tx_.begin(clock());  // before refresh: re-entering tasks compares backoffs with the time
  refresh();
  try {
    if constexpr (std::is_void_v<decltype(f())>) {
      f();
      commit(tx);
    } else {
      auto result = f();
      commit(tx);
      return result;
    }
  } catch (...) {
    if (tx_.touched || tx_.reload_after_commit) stale_ = true;
    tx_.abandon();
    throw;
  }
}

}  // namespace gk
