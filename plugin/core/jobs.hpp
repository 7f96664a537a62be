// Jobs: which ready agent task runs next and in which session (the pinned one, one task at a
// time; spawned ones in parallel up to the goal's and the global caps), the run_job a host is
// handed, and what hosts report about jobs, applied by job key against the durable state. A
// report for an attempt that is no longer current (superseded, cancelled, goal stopped) is
// recorded and ignored, never applied to whatever runs now.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>

#include <goalkeeper/job_key.hpp>

#include "core/config.hpp"
#include "core/host.hpp"
#include "core/tree.hpp"

namespace gk {

class Jobs {
 public:
  Jobs(Model &model, Txn &tx, Tree &tree, const Config &config, const HostHooks &hooks)
      : m_(model), tx_(tx), tree_(tree), c_(config), hooks_(hooks) {}

  // Offers ready agent tasks of the goal, at most `capacity` (jobs_dispatch.cpp).
  void dispatch(Goal &g, int &capacity);
  boost::json::object run_job_action(TaskIndex i);
  // A job whose host says it is gone, or whose lease ran out: back to pending (bounded).
  void reclaim(TaskIndex i, std::string_view why);
  void check_alive_jobs();                      // asks the host about every running job
  void lease_due(TaskIndex i, int64_t due_ms);  // the lease timer of task i fired

  // What a host reported about job `key` (jobs_events.cpp). `result` was read before the
  // transaction (job_result.hpp).
  void apply_event(const goalkeeper::JobKey &k, std::string_view key, const std::string &type,
                   const std::string &reason, const boost::json::object &ev,
                   const boost::json::object &result);

 private:
  void apply_finished(TaskIndex i, const boost::json::object &event,
                      const boost::json::object &result);
  void finish_failed(TaskIndex i, std::string_view reason);
  void add_subtasks(TaskIndex parent, const boost::json::value &subtasks);
  // add_subtasks, where subtasks the loader refuses fail the attempt instead; false then.
  bool try_add_subtasks(TaskIndex parent, const boost::json::value &subtasks);

  Model &m_;
  Txn &tx_;
  Tree &tree_;
  const Config &c_;
  const HostHooks &hooks_;
};

}  // namespace gk
