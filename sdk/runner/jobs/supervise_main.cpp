// gk-supervise REGISTRY_DIR NAME: runs one job of the registry and records how it ended.
// gk-supervise --launcher REGISTRY_DIR: runs every job the runner hands it, likewise.
//
// LocalJobs starts one launcher and hands it each job's claim: a descriptor open on the claim with
// an exclusive flock held, sent over a socket. The launcher, not the runner, is the jobs' parent:
// it keeps each claim's lock until it has appended how that job ended, so the exit code reaches
// the registry even when the runner was killed, and a runner started later tells a live job from
// a lost one without trusting pids. It outlives a runner that goes away, until its jobs ended.
// SIGUSR1 makes it look for cancel requests; SIGTERM, SIGINT or SIGHUP stop every job it runs,
// and it exits once they ended, taking no new ones.
//
// A supervisor process per job cost more than the job itself (`true`): a fork, its page faults and
// its exit for every job. One process starting jobs with vfork costs what a shell's `&` does.
// Where no launcher can start, each job runs under a gk-supervise of its own (the first form).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "supervisor.hpp"

namespace fs = std::filesystem;
using gk::jobs::Supervisor;

namespace {

// Claims waiting on the socket, each a job's file name with its descriptor attached. False once
// the runner closed its end (or died).
bool receive_claims(int sock, Supervisor &supervisor) {
  for (;;) {
    char name[256];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    iovec iov{name, sizeof name};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
    if (n == 0) return false;
    int fd = -1;
    for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
      }
    }
    // A claim that did not arrive whole is not ours: its lock went with the runner's descriptor,
    // and the runner starts the job again under the same claim, once.
    if (fd >= 0 && (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
      close(fd);
    } else if (fd >= 0) {
      supervisor.take(std::string(name, static_cast<size_t>(n)), fd);
    }
  }
}

// The signals that wake us, as a descriptor; blocked before the first job starts, so none is lost.
int watch_signals() {
  sigset_t watched;
  sigemptyset(&watched);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1}) sigaddset(&watched, sig);
  sigprocmask(SIG_BLOCK, &watched, nullptr);
  return signalfd(-1, &watched, SFD_NONBLOCK | SFD_CLOEXEC);
}

// Runs the jobs it is given until there are none and the socket (when there is one) is closed.
// The runner learns from one byte at the end of the socket whether we go on for jobs still
// running ('k') or exit at once ('x'), so it waits for us only then.
int supervise(Supervisor &supervisor, int sock, int signals) {
  for (;;) {
    supervisor.tick();
    if (sock < 0 && !supervisor.busy()) return 0;
    pollfd fds[2] = {{signals, POLLIN, 0}, {sock, POLLIN, 0}};
    int ready = poll(fds, sock >= 0 ? 2 : 1, supervisor.wait_ms());
    if (ready < 0 && errno != EINTR) return 2;
    signalfd_siginfo info;
    while (read(signals, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      const int sig = static_cast<int>(info.ssi_signo);
      if (sig == SIGCHLD) continue;
      supervisor.on_signal(sig);
      // Told to stop: no new jobs; we exit once those running have ended. Claims still on the
      // socket go back with it (their runner starts them again under the same claim, once).
      if (sig != SIGUSR1 && sock >= 0) {
        close(sock);
        sock = -1;
      }
    }
    if (sock >= 0 && fds[1].revents != 0 && !receive_claims(sock, supervisor)) {
      supervisor.tick();
      const char going_on = supervisor.busy() ? 'k' : 'x';
      send(sock, &going_on, 1, MSG_NOSIGNAL);
      close(sock);
      sock = -1;
    }
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
  if (launcher && !have_fd3) return 2;
  // Orphaned grandchildren come to us, so we reap them instead of leaving zombies to an init
  // that may not reap (containers), and so their exits wake us.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  const int signals = watch_signals();
  if (signals < 0) return 2;
  Supervisor supervisor(dir);
  if (launcher) return supervise(supervisor, 3, signals);
  std::string name = argv[2];
  int job_fd = 3;
  // Run by hand, without the claim open: the claim by its name (and no lock).
  if (!have_fd3) job_fd = open((dir / (name + ".job")).c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (job_fd < 0) return 2;
  supervisor.take(name, job_fd);
  return supervise(supervisor, -1, signals);
}
