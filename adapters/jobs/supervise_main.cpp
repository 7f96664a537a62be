// gk-supervise REGISTRY_DIR NAME: runs one job of the registry and records how it ended.
// gk-supervise --launcher REGISTRY_DIR: starts supervisors for the runner without an exec each.
//
// LocalJobs starts one supervisor per job, in a session of its own, with descriptor 3 open on the
// job's claim and an exclusive flock on it. It reads the claim and appends its run and end lines to
// it through that descriptor: no file of its own to create. The supervisor, not the runner, is the
// job's parent: it keeps the lock while it lives, so the exit code reaches the registry even when
// the runner was killed, and a runner started later tells a live supervisor from a dead one without
// trusting pids.
//
// Executing this program once per job cost as much as the job itself (`true`): the loader, the
// C++ runtime's start-up, the page faults of a fresh image. So the runner starts one launcher and
// hands it each claim's descriptor over a socket; the launcher forks a supervisor per claim with
// CLONE_PARENT, which makes the supervisor the runner's child exactly as a spawned one would be.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "registry.hpp"

extern char **environ;

namespace fs = std::filesystem;
using namespace gk::jobs;

namespace {

struct Paths {
  fs::path claim, cancel;
  int job_fd = 3;  // the claim, open for reading and appending
};

void note_in_log(const std::string &log, const std::string &line) {
  int fd = open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  std::string text = "goalkeeper: " + line + "\n";
  ssize_t ignored = write(fd, text.data(), text.size());
  (void)ignored;
  close(fd);
}

void write_end(const Paths &paths, int exit_code, bool timed_out, bool cancelled,
               const std::string &reason) {
  Record end;
  end.add("exit_code", exit_code);
  end.add("timed_out", timed_out ? 1 : 0);
  end.add("cancelled", cancelled ? 1 : 0);
  end.add("reason", reason);
  end.add("ended_ms", wall_ms());
  append_line(paths.job_fd, event_line("end", end), paths.claim);
}

std::vector<std::string> job_environment(const Record &claim) {
  std::map<std::string, std::string> env;
  for (char **e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    size_t eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const std::string &entry : claim.all("env")) {
    size_t eq = entry.find('=');
    env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  std::vector<std::string> out;
  for (const auto &[key, value] : env) out.push_back(key + "=" + value);
  return out;
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

std::string cancel_reason(const Paths &paths, const std::string &fallback) {
  auto cancel = read_record(paths.cancel);
  std::string reason = cancel ? cancel->get("reason") : "";
  return reason.empty() ? fallback : reason;
}

int supervise(const Paths &paths) {
  auto job = read_job(paths.job_fd);
  if (!job || job->claim.get("key").empty()) {
    throw std::runtime_error("no claim at " + paths.claim.string());
  }
  const Record &claim = job->claim;
  // A runner that gave this job up for lost has already written its end.
  if (job->end) return 0;

  sigset_t watched;
  sigemptyset(&watched);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1}) sigaddset(&watched, sig);
  sigprocmask(SIG_BLOCK, &watched, nullptr);
  // Orphaned grandchildren come to us, so we reap them instead of leaving zombies to an init
  // that may not reap (containers) and so their exits wake us.
  prctl(PR_SET_CHILD_SUBREAPER, 1);

  if (fs::exists(paths.cancel)) {
    write_end(paths, 128 + SIGTERM, false, true, cancel_reason(paths, "cancelled"));
    return 0;
  }
  std::string log = claim.get("log");
  std::vector<std::string> args = claim.all("arg");
  std::vector<std::string> env = job_environment(claim);
  std::vector<char *> argv = pointers(args);
  std::vector<char *> envp = pointers(env);
  std::string workdir = claim.get("workdir"), program = claim.get("program");
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  const ChildPlan plan{log.c_str(), workdir.c_str(), program.c_str(),
                       argv.data(), envp.data(),     report[1]};
  // The child only makes system calls until execve, so it can borrow our memory: no page tables
  // to copy for a process that is replaced at once.
  pid_t pid = vfork();
  if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
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
    if (step.back() == ' ') step += failed.step == 0 ? log : failed.step == 2 ? workdir : program;
    std::string failure = step + ": " + std::strerror(failed.error);
    int status = 0;
    waitpid(pid, &status, 0);
    note_in_log(log, failure);
    write_end(paths, 127, false, false, failure);
    return 0;
  }

  Record run;
  run.add("supervisor_pid", getpid());
  run.add("supervisor_start", process_start(getpid()));
  run.add("pid", pid);
  run.add("pgid", pid);
  run.add("start", process_start(pid));
  run.add("started_ms", wall_ms());
  append_line(paths.job_fd, event_line("run", run), paths.claim);

  const int64_t grace = std::max<int64_t>(claim.get_int("grace_ms", 2000), 0);
  const int64_t timeout_s = claim.get_int("timeout_s", 0);
  const int64_t timeout_at = timeout_s > 0 ? steady_ms() + timeout_s * 1000 : -1;
  bool leader_done = false, stopping = false, killed = false;
  bool timed_out = false, cancelled = false;
  int status = 0;
  int64_t kill_at = -1, give_up_at = -1;
  std::string reason;
  auto stop = [&](const std::string &why) {
    if (stopping) return;
    stopping = true;
    if (!why.empty()) note_in_log(log, why + "; stopping the job");
    killpg(pid, SIGTERM);
    kill_at = steady_ms() + grace;
  };

  for (;;) {
    int st = 0;
    pid_t child;
    while ((child = waitpid(-1, &st, WNOHANG)) > 0) {
      if (child == pid) {
        leader_done = true;
        status = st;
      }
    }
    int64_t now = steady_ms();
    if (!stopping && fs::exists(paths.cancel)) {
      cancelled = true;
      reason = cancel_reason(paths, "cancelled");
      stop("cancelled: " + reason);
    }
    if (!stopping && timeout_at >= 0 && now >= timeout_at) {
      timed_out = true;
      reason = "timed out after " + std::to_string(timeout_s) + " s";
      stop(reason);
    }
    bool group_alive = kill(-pid, 0) == 0;
    if (leader_done && !group_alive) break;
    if (leader_done) stop("");  // what the job left running in its group goes with it
    if (stopping && !killed && now >= kill_at) {
      killpg(pid, SIGKILL);
      killed = true;
      give_up_at = now + grace + 1000;
    }
    // Processes stuck in the kernel ignore even KILL; the end is reported all the same.
    if (killed && now >= give_up_at) break;

    int64_t wait_ms = leader_done ? 20 : 200;
    if (timeout_at >= 0 && !stopping) wait_ms = std::min(wait_ms, timeout_at - now);
    if (stopping && !killed) wait_ms = std::min(wait_ms, kill_at - now);
    wait_ms = std::max<int64_t>(wait_ms, 1);
    timespec ts{static_cast<time_t>(wait_ms / 1000), static_cast<long>(wait_ms % 1000) * 1000000};
    int sig = sigtimedwait(&watched, nullptr, &ts);
    if (sig > 0 && sig != SIGCHLD && !stopping) {
      cancelled = true;
      reason = cancel_reason(paths, "supervisor received signal " + std::to_string(sig));
      stop("cancelled: " + reason);
    }
  }
  write_end(paths, leader_done ? exit_code_of(status) : 128 + SIGKILL, timed_out, cancelled,
            reason);
  return 0;
}

// Supervises the claim open at job_fd, in this process (already chdir'd to "/").
int supervise_claim(const fs::path &dir, const std::string &name, int job_fd) {
  Paths paths{dir / (name + ".job"), dir / (name + ".cancel"), job_fd};
  // Every line goes to the end of the file, whoever else appends to it.
  fcntl(paths.job_fd, F_SETFL, O_APPEND);
  try {
    return supervise(paths);
  } catch (const std::exception &e) {
    try {
      write_end(paths, 127, false, false, std::string("supervisor failed: ") + e.what());
    } catch (const std::exception &) {
    }
    return 1;
  }
}

// A fork that makes the child our parent's child: the runner waits for it and gets its SIGCHLD,
// as for a supervisor it spawned itself. The launcher is single-threaded and registers no fork
// handlers, so the child may go on using the C and C++ runtimes as after fork() (the thread id
// glibc caches is stale in it, but glibc asks the kernel where a wrong one would matter: raise).
pid_t fork_sibling() {
  long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
  return static_cast<pid_t>(pid);
}

// The launcher: the runner's socket is descriptor 3. Each message is a claim's file name with the
// claim's descriptor (its flock held) attached; the answer is the new supervisor's pid (or 0).
// Ends when the runner closes the socket or dies, after the claims already sent.
int launch(const fs::path &dir) {
  const int sock = 3;
  bool own_children = false;
  for (;;) {
    char name[256];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    iovec iov{name, sizeof name};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    int fd = -1;
    for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
      }
    }
    pid_t pid = 0;
    if (fd >= 0 && (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) == 0) {
      const std::string job_name(name, static_cast<size_t>(n));
      pid = fork_sibling();
      if (pid < 0) {
        // Not allowed here (CLONE_PARENT from a child of init): then they are our own children.
        pid = fork();
        own_children = pid > 0 || own_children;
      }
      if (pid == 0) {
        close(sock);
        setsid();
        _exit(supervise_claim(dir, job_name, fd));
      }
      if (pid < 0) {
        Paths paths{dir / (job_name + ".job"), dir / (job_name + ".cancel"), fd};
        try {
          write_end(paths, 127, false, false,
                    std::string("cannot start its supervisor: ") + std::strerror(errno));
        } catch (const std::exception &) {
        }
        pid = 0;
      }
    }
    if (fd >= 0) close(fd);
    if (own_children) {
      while (waitpid(-1, nullptr, WNOHANG) > 0) {
      }
    }
    send(sock, &pid, sizeof pid, MSG_NOSIGNAL);
  }
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr,
                 "usage: gk-supervise REGISTRY_DIR NAME | gk-supervise --launcher REGISTRY_DIR "
                 "(started by goalkeeper)\n");
    return 2;
  }
  const bool launcher = std::strcmp(argv[1], "--launcher") == 0;
  // The claim's lock (or the launcher's socket) stays with us, never with the job; nothing else
  // of the runner's leaks on.
  closefrom(4);
  bool have_fd3 = fcntl(3, F_SETFD, FD_CLOEXEC) == 0;
  std::error_code ec;
  fs::path dir = fs::absolute(launcher ? argv[2] : argv[1], ec);
  // Holding no directory keeps the runner's checkout and worktrees removable.
  if (ec || chdir("/") != 0) return 2;
  if (launcher) return have_fd3 ? launch(dir) : 2;
  std::string name = argv[2];
  int job_fd = 3;
  // Run by hand, without the claim open: the claim by its name (and no lock).
  if (!have_fd3) job_fd = open((dir / (name + ".job")).c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (job_fd < 0) return 2;
  return supervise_claim(dir, name, job_fd);
}
