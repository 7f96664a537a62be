#include "supervisor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "registry.hpp"

extern char **environ;

namespace gk::jobs {
namespace fs = std::filesystem;

namespace {

// The cancel requests of running jobs are looked for on SIGUSR1, and this often in case a signal
// went astray (a runner killed between writing the request and signalling).
constexpr int64_t kCancelCheckMs = 1000;

void note_in_log(const std::string &log, const std::string &line) {
  int fd = open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  std::string text = "goalkeeper: " + line + "\n";
  ssize_t ignored = write(fd, text.data(), text.size());
  (void)ignored;
  close(fd);
}

void write_end(int fd, const fs::path &claim, int exit_code, bool timed_out, bool cancelled,
               const std::string &reason) {
  Record end;
  end.add("exit_code", exit_code);
  end.add("timed_out", timed_out ? 1 : 0);
  end.add("cancelled", cancelled ? 1 : 0);
  end.add("reason", reason);
  end.add("ended_ms", wall_ms());
  append_line(fd, event_line("end", end), claim);
}

std::vector<char *> pointers(std::vector<std::string> &strings) {
  std::vector<char *> out;
  for (std::string &s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// What the job's child needs, built before vfork: the child shares our memory and may only make
// system calls until it executes the job.
struct ChildPlan {
  const char *log, *workdir, *program;
  char **argv, **envp;
  int report;  // a failed step goes here (closed on exec, so the parent reads nothing then)
  rlimit files;
};

// What the child reports. A pipe, not the memory vfork shares: a sanitizer may make it a fork.
struct ChildFailure {
  int step;
  int error;
};
constexpr const char *kSteps[] = {"cannot open log ", "cannot set up stdio",
                                  "cannot enter workdir ", "cannot execute "};

[[noreturn]] void child_failed(const ChildPlan &plan, int step) {
  ChildFailure failure{step, errno};
  ssize_t ignored = write(plan.report, &failure, sizeof failure);
  (void)ignored;
  _exit(127);
}

[[noreturn]] void run_child(const ChildPlan &plan) {
  setpgid(0, 0);
  int log_fd = open(plan.log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (log_fd < 0) child_failed(plan, 0);
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0) {
    child_failed(plan, 1);
  }
  if (chdir(plan.workdir) != 0) child_failed(plan, 2);
  // The job gets the limit on open files we were given, not the one we raised for ourselves.
  setrlimit(RLIMIT_NOFILE, &plan.files);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execve(plan.program, plan.argv, plan.envp);
  child_failed(plan, 3);
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

std::string cancel_reason(const fs::path &cancel, const std::string &fallback) {
  auto request = read_record(cancel);
  std::string reason = request ? request->get("reason") : "";
  return reason.empty() ? fallback : reason;
}

rlimit given_file_limit;

}  // namespace

Supervisor::Supervisor(fs::path registry_dir) : dir_(std::move(registry_dir)) {
  for (char **e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    size_t eq = entry.find('=');
    if (eq != std::string::npos) environment_[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  own_start_ = process_start(getpid());
  // One claim stays open per running job: take as many descriptors as we may.
  getrlimit(RLIMIT_NOFILE, &given_file_limit);
  rlimit raised = given_file_limit;
  raised.rlim_cur = raised.rlim_max;
  setrlimit(RLIMIT_NOFILE, &raised);
}

fs::path Supervisor::cancel_file(const std::string &name) const {
  return dir_ / (name + ".cancel");
}

void Supervisor::take(const std::string &name, int fd) {
  // Every line goes to the end of the file, whoever else appends to it.
  fcntl(fd, F_SETFL, O_APPEND);
  try {
    start(name, fd);
  } catch (const std::exception &e) {
    try {
      write_end(fd, dir_ / (name + ".job"), 127, false, false,
                std::string("supervisor failed: ") + e.what());
    } catch (const std::exception &) {
    }
    close(fd);
  }
}

// Either the job runs and is in jobs_ holding fd, or fd is closed with the end recorded.
void Supervisor::start(const std::string &name, int fd) {
  const fs::path claim_path = dir_ / (name + ".job");
  auto job = read_job(fd);
  if (!job || job->claim.get("key").empty()) {
    throw std::runtime_error("no claim at " + claim_path.string());
  }
  const Record &claim = job->claim;
  // A runner that gave this job up for lost has already written its end.
  if (job->end) {
    close(fd);
    return;
  }
  const fs::path cancel = cancel_file(name);
  if (fs::exists(cancel)) {
    write_end(fd, claim_path, 128 + SIGTERM, false, true, cancel_reason(cancel, "cancelled"));
    close(fd);
    return;
  }

  Job j;
  j.name = name;
  j.log = claim.get("log");
  j.fd = fd;
  j.grace_ms = std::max<int64_t>(claim.get_int("grace_ms", 2000), 0);
  j.timeout_s = claim.get_int("timeout_s", 0);
  std::map<std::string, std::string> env = environment_;
  for (const std::string &entry : claim.all("env")) {
    size_t eq = entry.find('=');
    env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  std::vector<std::string> env_strings;
  env_strings.reserve(env.size());
  for (const auto &[key, value] : env) env_strings.push_back(key + "=" + value);
  std::vector<std::string> args = claim.all("arg");
  std::vector<char *> argv = pointers(args);
  std::vector<char *> envp = pointers(env_strings);
  const std::string workdir = claim.get("workdir"), program = claim.get("program");
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  const ChildPlan plan{j.log.c_str(), workdir.c_str(), program.c_str(), argv.data(),
                       envp.data(),   report[1],       given_file_limit};
  // The child only makes system calls until execve, so it can borrow our memory: no page tables
  // to copy for a process that is replaced at once.
  pid_t pid = vfork();
  if (pid < 0) {
    int error = errno;
    close(report[0]);
    close(report[1]);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(error));
  }
  if (pid == 0) run_child(plan);
  close(report[1]);
  setpgid(pid, pid);  // both sides set it, so no killpg can race the child's own setpgid

  ChildFailure failed{-1, 0};
  ssize_t got;
  do {
    got = read(report[0], &failed, sizeof failed);
  } while (got < 0 && errno == EINTR);
  close(report[0]);
  if (got == sizeof failed && failed.step >= 0 && failed.step < 4) {
    std::string step = kSteps[failed.step];
    if (step.back() == ' ') step += failed.step == 0 ? j.log : failed.step == 2 ? workdir : program;
    std::string failure = step + ": " + std::strerror(failed.error);
    int status = 0;
    waitpid(pid, &status, 0);
    note_in_log(j.log, failure);
    write_end(fd, claim_path, 127, false, false, failure);
    close(fd);
    return;
  }

  Record run;
  run.add("supervisor_pid", getpid());
  run.add("supervisor_start", own_start_);
  run.add("pid", pid);
  run.add("pgid", pid);
  run.add("start", process_start(pid));
  run.add("started_ms", wall_ms());
  j.pid = pid;
  j.timeout_at = j.timeout_s > 0 ? steady_ms() + j.timeout_s * 1000 : -1;
  if (auto old = jobs_.find(pid); old != jobs_.end()) {
    // Its pid is free again, so its whole group is gone: the end is due.
    finish(old->second);
    jobs_.erase(old);
  }
  Job &mine = jobs_[pid] = std::move(j);
  try {
    append_line(fd, event_line("run", run), claim_path);
  } catch (const std::exception &e) {
    // Unrecorded, a job would look lost; it is stopped and its end says why.
    stop(mine, std::string("cannot record the job's start: ") + e.what());
  }
  // A runner that saw no run line did not signal us: its request is on disk already.
  check_cancel(mine);
}

void Supervisor::check_cancel(Job &job) {
  if (job.stopping) return;
  const fs::path cancel = cancel_file(job.name);
  std::error_code ec;
  if (!fs::exists(cancel, ec)) return;
  job.cancelled = true;
  job.reason = cancel_reason(cancel, "cancelled");
  stop(job, "cancelled: " + job.reason);
}

void Supervisor::stop(Job &job, const std::string &why) {
  if (job.stopping) return;
  job.stopping = true;
  if (!why.empty()) note_in_log(job.log, why + "; stopping the job");
  killpg(job.pid, SIGTERM);
  job.kill_at = steady_ms() + job.grace_ms;
}

void Supervisor::finish(Job &job) {
  try {
    write_end(job.fd, dir_ / (job.name + ".job"),
              job.leader_done ? exit_code_of(job.status) : 128 + SIGKILL, job.timed_out,
              job.cancelled, job.reason);
  } catch (const std::exception &) {
    // Nothing more to do: the runner finds the claim let go without an end and says so.
  }
  close(job.fd);  // lets go of the claim's lock: the runner sees the job ended
}

void Supervisor::on_signal(int sig) {
  for (auto &[pid, job] : jobs_) {
    if (sig == SIGUSR1) {
      check_cancel(job);
    } else if (!job.stopping) {
      job.cancelled = true;
      job.reason =
          cancel_reason(cancel_file(job.name), "supervisor received signal " + std::to_string(sig));
      stop(job, "cancelled: " + job.reason);
    }
  }
}

void Supervisor::tick() {
  int status = 0;
  pid_t child;
  // Orphans of the jobs come to us too (we are a subreaper): reaped, and otherwise ignored.
  while ((child = waitpid(-1, &status, WNOHANG)) > 0) {
    if (auto it = jobs_.find(child); it != jobs_.end()) {
      it->second.leader_done = true;
      it->second.status = status;
    }
  }
  const int64_t now = steady_ms();
  const bool look_for_cancels = now >= next_cancel_check_;
  if (look_for_cancels) next_cancel_check_ = now + kCancelCheckMs;
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    Job &job = it->second;
    if (look_for_cancels) check_cancel(job);
    if (!job.stopping && job.timeout_at >= 0 && now >= job.timeout_at) {
      job.timed_out = true;
      job.reason = "timed out after " + std::to_string(job.timeout_s) + " s";
      stop(job, job.reason);
    }
    bool done = false;
    if (job.leader_done) {
      done = kill(-job.pid, 0) != 0;
      if (!done) stop(job, "");  // what the job left running in its group goes with it
    }
    if (!done && job.stopping && !job.killed && now >= job.kill_at) {
      killpg(job.pid, SIGKILL);
      job.killed = true;
      job.give_up_at = now + job.grace_ms + 1000;
    }
    // Processes stuck in the kernel ignore even KILL; the end is reported all the same.
    if (!done && job.killed && now >= job.give_up_at) done = true;
    if (done) {
      finish(job);
      it = jobs_.erase(it);
    } else {
      ++it;
    }
  }
}

int Supervisor::wait_ms() const {
  if (jobs_.empty()) return -1;
  const int64_t now = steady_ms();
  int64_t wait = std::max<int64_t>(next_cancel_check_ - now, 0);
  for (const auto &[pid, job] : jobs_) {
    // A group outliving its leader sends no signal when it goes: look again soon.
    if (job.leader_done) wait = std::min<int64_t>(wait, 20);
    if (job.timeout_at >= 0 && !job.stopping) wait = std::min(wait, job.timeout_at - now);
    if (job.stopping && !job.killed) wait = std::min(wait, job.kill_at - now);
    if (job.killed) wait = std::min(wait, job.give_up_at - now);
  }
  return static_cast<int>(std::clamp<int64_t>(wait, 1, kCancelCheckMs));
}

}  // namespace gk::jobs
