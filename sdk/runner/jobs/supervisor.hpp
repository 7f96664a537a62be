// The jobs one gk-supervise process runs: it starts each claim's job as its own child, in a
// process group of its own, holds the claim (and its flock) until it has appended how the job
// ended, and enforces timeouts and cancels. A runner tells a live job from a lost one by that
// lock, so the exit code reaches the registry even when the runner was killed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace gk::jobs {

class Supervisor {
 public:
  explicit Supervisor(std::filesystem::path registry_dir);

  // Starts the job of the claim open at fd (read-write, its flock held), which is ours to close:
  // when the job cannot start, its end says why at once.
  void take(const std::string &name, int fd);
  // Acts on what happened: reaps children, stops jobs past their timeout or asked to stop, and
  // records the end of each job whose process group is gone.
  void tick();
  // SIGUSR1 asks to look for cancel requests; any other signal stops every job.
  void on_signal(int sig);
  bool busy() const { return !jobs_.empty(); }
  // How long the caller may sleep before the next tick is due (signals wake it earlier).
  int wait_ms() const;

 private:
  struct Job {
    std::string name, log;
    int fd = -1;
    pid_t pid = -1;  // the leader, whose pid is the group's id
    int64_t timeout_s = 0, timeout_at = -1, grace_ms = 2000;
    bool leader_done = false, stopping = false, killed = false;
    bool timed_out = false, cancelled = false;
    int status = 0;
    int64_t kill_at = -1, give_up_at = -1;
    std::string reason;
  };

  std::filesystem::path cancel_file(const std::string &name) const;
  void start(const std::string &name, int fd);
  void check_cancel(Job &job);
  void stop(Job &job, const std::string &why);
  void finish(Job &job);

  std::filesystem::path dir_;
  std::map<std::string, std::string> environment_;  // ours, as the jobs' base
  int64_t own_start_ = -1;
  std::map<pid_t, Job> jobs_;
  int64_t next_cancel_check_ = 0;
};

}  // namespace gk::jobs
