// The host side of the step loop, shared by `goalkeeper run` (many passes) and `goalkeeper step`
// (one pass). A pass reports the jobs that ended, makes one gk_step, and acts on its actions:
// run_job (workspace, prompt file, LocalJobs::start, then "started" or "start_failed"),
// cancel_job, await_review and goal_finished. LocalJobs hands an end out again until it is
// acknowledged (after the plugin took it), so a runner killed in between reports it when it runs
// again; a repeated "finished" is a no-op for the plugin.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <goalkeeper/goalkeeper.hpp>

#include "goal_outcome.hpp"
#include "jobs/local_jobs.hpp"
#include "layout.hpp"
#include "view.hpp"
#include "workspace.hpp"

namespace gk::runner {

// The gk_host the runner hands the plugin: job_alive answers from LocalJobs, log goes to stderr
// when verbose. Create it before the Handle (gk_open keeps the pointers) and keep it alive longer.
class HostBridge {
 public:
  HostBridge(jobs::LocalJobs &jobs, const Layout &layout, bool verbose);
  const gk_host *host() const { return &host_; }

  // Ends reaped inside job_alive, to be reported after the step.
  std::vector<jobs::JobEnd> take_stash();
  void mark_reported(const std::string &job_key) {
    std::lock_guard lock(mutex_);
    reported_.insert(job_key);
  }

 private:
  static int job_alive(void *ctx, const char *job_key);
  static void log(void *ctx, int level, const char *message);

  gk_host host_;
  jobs::LocalJobs &jobs_;
  const Layout &layout_;
  // The plugin calls job_alive only inside gk_step (the step loop's thread), but `serve` shares
  // the handle with HTTP threads, so the stash is guarded anyway.
  std::mutex mutex_;
  std::vector<jobs::JobEnd> stash_;
  std::set<std::string> reported_;
};

struct DriverOptions {
  std::optional<std::string> goal;  // only this goal
  long long max_jobs = 0;           // --jobs; 0: no cap of the runner's own
  bool auto_approve = false;
  std::string state_path;  // absolute, for $GK_STATE
};

class Driver {
 public:
  Driver(goalkeeper::Handle &state, jobs::LocalJobs &jobs, HostBridge &bridge,
         Workspaces &workspaces, const Layout &layout, View &view, DriverOptions options);

  // One pass. Returns true when it changed something (a job started or ended, a review was
  // decided), so another pass right away may find more to do.
  bool pass();

  // Whether a job of these goals (all goals when empty) is running.
  bool has_running(const std::set<std::string> &goals) const;

  // Where each goal stands, from a status query. With auto_approve, approves what waits on a
  // review or an approval gate and sets *acted. Prints once what each goal waits for.
  std::map<std::string, GoalOutcome> settle(const std::set<std::string> &goals, bool *acted);

  int64_t next_step_ms() const { return next_step_ms_; }
  void refresh_view();

  // Counts for the final summary.
  int started() const { return started_count_; }
  int ended() const { return ended_count_; }

 private:
  void report_end(const jobs::JobEnd &end);
  void report_pending();
  void run_job(const boost::json::object &a);
  void cancel_job(const boost::json::object &a);
  std::chrono::steady_clock::time_point since(const std::string &key) const;
  std::filesystem::path goal_dir(const std::string &goal);
  void await_review(const boost::json::object &a);
  void goal_finished(const boost::json::object &a);
  bool job_event(const std::string &key, const boost::json::object &event);
  bool in_scope(const std::string &goal_id) const;

  goalkeeper::Handle &state_;
  jobs::LocalJobs &jobs_;
  HostBridge &bridge_;
  Workspaces &workspaces_;
  const Layout &layout_;
  View &view_;
  DriverOptions options_;
  std::string plugin_path_;
  std::string exe_dir_;

  int64_t next_step_ms_ = 200;
  bool changed_ = false;
  int started_count_ = 0, ended_count_ = 0;
  std::map<std::string, JobLine> running_;                  // job key -> what the live view shows
  std::map<std::string, GoalLine> goals_;                   // for the live view
  std::set<std::string> cancelled_;                         // cancel sent in this process
  std::set<std::string> announced_;                         // waits already printed
  std::map<std::string, std::filesystem::path> goal_dirs_;  // goal -> its file's folder
  std::vector<std::pair<std::string, boost::json::object>> retry_;  // events refused as busy
};

}  // namespace gk::runner
