// Child jobs on this machine: how the reference runner starts the run_job actions the plugin
// hands it. Each job runs in its own process group with argv (never a shell string), its output
// in a log file, and a record in an on-disk registry so a runner that was killed and started
// again re-attaches to live jobs, learns how finished ones ended, and never starts a job_key twice.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gk::jobs {

struct JobSpec {
  std::string job_key;            // "<goal>/<task>#<attempt>"
  std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no '/'
  // Added to the runner's environment as it was at this LocalJobs' first start() (the launcher's).
  std::map<std::string, std::string> env;
  std::filesystem::path workdir;   // the job's workspace (must exist)
  std::filesystem::path log_path;  // stdout and stderr, appended
  int64_t timeout_s = 0;           // 0 = none; then TERM, then KILL after a grace
};

struct JobEnd {
  std::string job_key;
  int exit_code = 0;  // 128 + signal when killed by a signal
  bool timed_out = false;
  bool cancelled = false;
  std::string reason;  // for timeouts and cancels
};

enum class StartResult { started, already_known };

// The right to start one job key, held by one LocalJobs of a registry at a time, whatever the
// process: runners that share a folder would otherwise both prepare the job's workspace and
// files before either has claimed the key. Released when destroyed; must not outlive the
// LocalJobs that gave it. Move-only.
class StartReservation {
 public:
  StartReservation(StartReservation &&other) noexcept;
  StartReservation &operator=(StartReservation &&other) noexcept;
  StartReservation(const StartReservation &) = delete;
  ~StartReservation();

 private:
  friend class LocalJobs;
  // The key's lock on fd (the registry's keys.lock); nullopt when another description holds it.
  // release runs when the reservation ends. Throws std::runtime_error on other failures.
  static std::optional<StartReservation> take(int fd, const std::string &key,
                                              std::function<void()> release);
  StartReservation(int fd, int64_t offset, std::function<void()> release);
  void release();
  int fd_;
  int64_t offset_;
  std::function<void()> release_;  // forgets the key in this process
};

class LocalJobs {
 public:
  // registry_dir holds one record per job_key; created if missing. Re-attaches to what it finds.
  // Jobs run under the gk-supervise helper, found at supervise_path when given, else at
  // $GK_SUPERVISE, else next to the running executable, else where this build put it. The first
  // start() starts one `gk-supervise --launcher`, which runs every job this object starts as its
  // own child; the destructor lets it take what it was sent and waits for it only if it has no
  // job left to run (it goes on without us until they end, and stays our child until then).
  explicit LocalJobs(std::filesystem::path registry_dir, int64_t kill_grace_ms = 2000,
                     std::filesystem::path supervise_path = {});
  ~LocalJobs();
  LocalJobs(const LocalJobs &) = delete;
  LocalJobs &operator=(const LocalJobs &) = delete;

  // Starts the job, or does nothing when the registry already knows this job_key (running or
  // finished): a job_key is never started twice. Throws std::runtime_error with a reason a person
  // can act on when the job cannot start (the caller reports start_failed with it).
  StartResult start(const JobSpec &spec);
  // Reserves the key for a start: take it before preparing anything for the job, and keep it
  // until start() returned. nullopt when another LocalJobs (this process's or another's) holds
  // it: that one is starting the job, and this caller leaves it alone for now.
  std::optional<StartReservation> reserve(const std::string &job_key);
  // Variables of this process's environment that no job gets (the host's own secrets); a name
  // ending in '*' stands for every name starting with what precedes it. Applies to jobs started
  // after the call; call it before the first start().
  void withhold_environment(std::vector<std::string> names);
  // TERM to the job's process group, KILL after the grace period.
  void cancel(const std::string &job_key, const std::string &reason);
  // Jobs that ended since the last call (non-blocking). Each end is handed out once by this
  // object, and again by any later LocalJobs on the registry until acknowledge() was called for
  // it: a runner killed before it acted on an end gets it again. Timeouts are enforced by each
  // job's supervisor, even while no runner is alive.
  std::vector<JobEnd> reap();
  // The caller has acted on this end (the plugin took it): no later runner hands it out again.
  void acknowledge(const std::string &job_key);
  // 1 running, 0 known and ended (or unknown to a registry that should know it), -1 unknown.
  // Liveness comes from the registry, not from this object's memory: a job another runner of
  // the same registry started is alive while it runs, and from the first question on it is
  // followed like our own, so reap() hands out its end (its runner may be gone, or slower).
  int alive(const std::string &job_key) const;
  std::vector<std::string> running() const;
  // When the job started (wall clock, ms since the epoch), as its supervisor recorded it; nullopt
  // before it runs or for an unknown key.
  std::optional<int64_t> started_ms(const std::string &job_key) const;
  // Waits up to timeout_ms for any job to end (for the runner's loop); returns early on an end.
  void wait_any(int64_t timeout_ms);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gk::jobs
