// The plugin's configuration (gk_open's JSON). Every key is optional.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string>

namespace gk {

struct Config {
  std::string state_path = ".goalkeeper/state.db";
  bool durability_full = false;  // SQLite synchronous=FULL instead of NORMAL
  bool read_only = false;        // the state must exist; calls that would change it fail
  bool dry_run = false;          // no mutation reaches a service (merges, statuses): say instead
  std::string public_url;        // where people see goals: commit statuses link <url>/#goal=ID
  int busy_timeout_ms = 5000;
  int max_parallel = 8;             // spawned jobs running at once, all goals together
  int64_t lease_s = 300;            // a started job without heartbeat for this long is orphaned
  int max_reclaims = 3;             // orphan reclaims before the task is blocked
  int max_start_failures = 3;       // start_failed reports before the task is blocked
  int64_t start_backoff_ms = 2000;  // first backoff after start_failed; doubles each time
  int64_t idle_step_ms = 1000;      // next_step_ms when nothing is due sooner
  // A job's result (summary, artifacts, subtasks) larger than this fails its attempt.
  int64_t max_result_bytes = int64_t{1} << 20;
  // A gate whose repository webhooks are known to reach is polled only this often while nothing
  // arrives for it (deliveries make it due at once); 0 = poll at the checker's own intervals.
  int64_t webhook_reconcile_ms = 600'000;
  // Deliveries within this long of the first are confirmed by one read (GitHub sends several
  // per change: each check run, the suite, the workflow run).
  int64_t webhook_coalesce_ms = 1000;
  boost::json::object raw;  // the whole document, for the checkers (github, centaur, ...)
};

// Throws gk::Error(invalid) naming the key when a value has the wrong type or range.
Config parse_config(std::string_view json);

}  // namespace gk
