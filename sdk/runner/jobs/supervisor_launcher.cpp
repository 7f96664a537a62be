#include "supervisor_launcher.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <utility>

extern char **environ;

namespace gk::jobs {

namespace {

// gk-supervise processes this process started, whichever LocalJobs did it: they are our children
// until they exit, and only their own pids are waited for (a host may have other children).
std::mutex spawned_mutex;
std::vector<pid_t> spawned;

}  // namespace

SupervisorLauncher::SupervisorLauncher(std::filesystem::path supervise,
                                       std::filesystem::path registry_dir)
    : supervise_(std::move(supervise)), dir_(std::move(registry_dir)) {}

SupervisorLauncher::~SupervisorLauncher() {
  stop();
}

void SupervisorLauncher::withhold(std::vector<std::string> names) {
  withheld_ = std::move(names);
  stop();
}

void SupervisorLauncher::reap() {
  std::lock_guard lock(spawned_mutex);
  std::erase_if(spawned, [](pid_t pid) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    return r == pid || (r < 0 && errno == ECHILD);
  });
}

// A gk-supervise with args, descriptor fd as its fd 3, in a session of its own (a Ctrl-C or
// hangup aimed at the runner leaves jobs running). fd must be above 3.
pid_t SupervisorLauncher::spawn_helper(const std::vector<std::string> &args, int fd) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  // stdio is /dev/null: the job has its log.
  posix_spawn_file_actions_adddup2(&actions, fd, 3);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::string program = supervise_.string();
  std::vector<std::string> strings{program};
  strings.insert(strings.end(), args.begin(), args.end());
  std::vector<char *> argv;
  for (std::string &arg : strings) argv.push_back(arg.data());
  argv.push_back(nullptr);
  // Our environment without the withheld_ variables: what every job starts from.
  auto is_withheld = [&](std::string_view name) {
    return std::any_of(withheld_.begin(), withheld_.end(), [&](std::string_view w) {
      if (!w.empty() && w.back() == '*') return name.starts_with(w.substr(0, w.size() - 1));
      return name == w;
    });
  };
  std::vector<char *> envp;
  for (char **e = environ; *e != nullptr; ++e) {
    std::string_view entry = *e;
    if (!is_withheld(entry.substr(0, entry.find('=')))) envp.push_back(*e);
  }
  envp.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, program.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    throw std::runtime_error("cannot start " + program + ": " + std::strerror(rc));
  }
  return pid;
}

bool SupervisorLauncher::start_launcher() {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return false;
  int theirs = fcntl(pair[1], F_DUPFD_CLOEXEC, 10);
  close(pair[1]);
  try {
    if (theirs >= 0) launcher_pid_ = spawn_helper({"--launcher", dir_.string()}, theirs);
  } catch (const std::exception &) {
    close(theirs);
    theirs = -1;
  }
  if (theirs < 0) {
    close(pair[0]);
    return false;
  }
  close(theirs);
  launcher_fd_ = pair[0];
  return true;
}

// A launcher we no longer talk to: waited for now when it is exiting, else reaped later (it
// goes on while jobs it started run, and is our child until it exits).
void SupervisorLauncher::let_go_of_launcher(bool exiting) {
  if (launcher_fd_ >= 0) close(launcher_fd_);
  launcher_fd_ = -1;
  if (launcher_pid_ > 0) {
    if (exiting) {
      waitpid(launcher_pid_, nullptr, 0);
    } else {
      std::lock_guard guard(spawned_mutex);
      spawned.push_back(launcher_pid_);
    }
  }
  launcher_pid_ = -1;
}

void SupervisorLauncher::stop() {
  if (launcher_fd_ < 0) return;
  // It takes what it was sent, sees the end of the socket and answers whether it goes on.
  shutdown(launcher_fd_, SHUT_WR);
  char going_on = 0;
  ssize_t n;
  do {
    n = recv(launcher_fd_, &going_on, 1, 0);
  } while (n < 0 && errno == EINTR);
  // Without an answer (it was told to stop, or died) it may still be ending jobs: not waited for.
  let_go_of_launcher(n == 1 && going_on == 'x');
}

// Hands the claim (its lock held by lock_fd) to the launcher; false when there is none.
bool SupervisorLauncher::launch(const std::string &name, int lock_fd) {
  for (int attempt = 0; attempt < 2 && !launcher_broken_; ++attempt) {
    if (launcher_fd_ < 0 && !start_launcher()) {
      launcher_broken_ = true;
      break;
    }
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    iovec iov{const_cast<char *>(name.data()), name.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &lock_fd, sizeof lock_fd);
    ssize_t sent;
    do {
      sent = sendmsg(launcher_fd_, &msg, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    if (sent == static_cast<ssize_t>(name.size())) return true;
    // The launcher is gone (killed, or out of resources): start another once.
    let_go_of_launcher(false);
  }
  return false;
}

// Starts the claim's supervisor; lock_fd (above 3) stays ours to close.
void SupervisorLauncher::start_supervisor(const std::string &name, int lock_fd) {
  if (launch(name, lock_fd)) return;
  pid_t pid = spawn_helper({dir_.string(), name}, lock_fd);
  std::lock_guard guard(spawned_mutex);
  spawned.push_back(pid);
}

}  // namespace gk::jobs
