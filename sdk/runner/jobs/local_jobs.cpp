// The registry's claims seen from a runner: start, probe, cancel, reap. Longer than most of our
// files (about 580 lines) because probe() reads a claim through every state it can be in
// (watched, running, ended, orphaned, never started, of an older layout) and those cases are one
// decision, best read together. The supervisor processes (supervisor_launcher.cpp), the program
// lookup (program_path.cpp) and start reservations (start_reservation.cpp) have files of their own.
#include "local_jobs.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>

#include "program_path.hpp"
#include "registry.hpp"
#include "supervisor_launcher.hpp"

namespace gk::jobs {
namespace fs = std::filesystem;

namespace {

// The log's directory, made when missing, lets this user create files in it. Sets errno when not.
bool log_dir_writable(const fs::path &dir) {
  if (faccessat(AT_FDCWD, dir.c_str(), W_OK | X_OK, AT_EACCESS) == 0) return true;
  if (errno != ENOENT) return false;
  std::error_code ec;
  fs::create_directories(dir, ec);
  return faccessat(AT_FDCWD, dir.c_str(), W_OK | X_OK, AT_EACCESS) == 0;
}

void check_text(const std::string &text, const std::string &what) {
  if (text.find('\0') != std::string::npos) {
    throw std::runtime_error(what + " contains a NUL character");
  }
}

enum class State { unknown, running, ended };

struct Probe {
  State state = State::unknown;
  JobEnd end;
  bool orphan = false;  // running, but its supervisor is gone
  pid_t pgid = 0;
  int64_t timeout_s = 0;   // of an orphan
  int64_t started_ms = 0;  // of an orphan
  bool reported = false;   // ended and acknowledged, as a registry of an older layout says
};

// Owns a descriptor. Not copyable: a copy would close it twice, the second time maybe closing
// what another thread has opened under the same number since.
struct Fd {
  explicit Fd(int descriptor) : fd(descriptor) {}
  Fd(const Fd &) = delete;
  Fd &operator=(const Fd &) = delete;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
  int fd;
};

JobEnd end_from(const std::string &key, const Record &record) {
  JobEnd end;
  end.job_key = key;
  end.exit_code = static_cast<int>(record.get_int("exit_code", 255));
  end.timed_out = record.get_int("timed_out") != 0;
  end.cancelled = record.get_int("cancelled") != 0;
  end.reason = record.get("reason");
  return end;
}

}  // namespace

struct LocalJobs::Impl {
  Impl(const fs::path &registry_dir, int64_t kill_grace_ms, const fs::path &supervise_path)
      : dir(fs::absolute(registry_dir)),
        grace_ms(std::max<int64_t>(kill_grace_ms, 0)),
        supervise(find_supervise(supervise_path, supervise_looked)),
        launcher(supervise, dir) {}

  struct Entry {
    std::string name;
    bool ended = false;     // handed out by this object's reap(), or acknowledged earlier
    bool reported = false;  // acknowledged (by any runner, as far as this object knows)
    int64_t orphan_kill_at = -1;
    // A description of its own on the claim of a job this object started: while the supervisor
    // holds the claim's lock, one flock on it says "running" without reading the claim.
    std::shared_ptr<Fd> watch;
  };
  // Descriptors held by watches, and how many may be: a runner of thousands of jobs at once must
  // keep descriptors for its own files (prompts, logs, the state).
  size_t watching = 0;
  size_t watch_budget = 0;

  fs::path dir;
  int64_t grace_ms;
  std::string supervise_looked;
  fs::path supervise;
  SupervisorLauncher launcher;
  ProgramCache programs;
  int inotify_fd = -1;
  std::mutex mutex;
  std::map<std::string, Entry> jobs;

  // Start reservations: byte-range locks of the open file description (OFD locks) on one file of
  // the registry, one byte per key (by a hash of it), so that no key costs a file of its own.
  // Keys reserved in this process are remembered too: locks of one description never conflict.
  int keys_fd = -1;
  std::set<std::string> reserved;

  fs::path file(const std::string &name, const char *kind) const { return dir / (name + kind); }
  fs::path retired(const std::string &name) const { return dir / "done" / (name + ".job"); }

  // The claim, in the registry or, once its end was reported, under done/.
  std::optional<JobFile> read_claim(const std::string &name) const {
    if (auto job = read_job(file(name, ".job"))) return job;
    return read_job(retired(name));
  }

  // A claim whose end was reported moves to done/: every runner's start-up reads the registry's
  // claims, and jobs long over would make that cost grow with the history. A rename keeps the
  // inode (deleting files costs the next ones on some disks), and a start still finds the claim
  // there, so a key is still never started twice.
  void retire(const std::string &name) {
    const fs::path from = file(name, ".job"), to = retired(name);
    if (::rename(from.c_str(), to.c_str()) == 0 || errno != ENOENT) return;
    std::error_code ec;
    fs::create_directory(dir / "done", ec);
    ::rename(from.c_str(), to.c_str());
  }

  // known: the job's file when the caller has just read it.
  Entry &entry(const std::string &key, const JobFile *known = nullptr) {
    auto it = jobs.find(key);
    if (it == jobs.end()) {
      std::string name = safe_name(key);
      bool reported = false;
      if (known != nullptr) {
        reported = known->reported;
      } else if (auto job = read_claim(name)) {
        reported = job->reported;
      }
      it = jobs.emplace(key, Entry{name, reported, reported}).first;
    }
    return it->second;
  }

  Probe probe(const std::string &key, const std::string &name) {
    Probe p;
    if (auto it = jobs.find(key); it != jobs.end() && it->second.watch) {
      const int watched = it->second.watch->fd;
      if (flock(watched, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
        p.state = State::running;
        return p;
      }
      flock(watched, LOCK_UN);
      it->second.watch.reset();  // the supervisor let go: the claim says how it ended
      --watching;
    }
    fs::path claim = file(name, ".job");
    Fd fd{open(claim.c_str(), O_RDONLY | O_CLOEXEC)};
    if (fd.fd < 0) {
      auto done = read_job(retired(name));
      if (done && done->end) {
        p.state = State::ended;
        p.end = end_from(key, *done->end);
        p.reported = true;
      }
      return p;
    }
    auto job = read_job(fd.fd, false);
    if (!job) return p;
    if (job->end) {
      p.state = State::ended;
      p.end = end_from(key, *job->end);
      return p;
    }
    // The supervisor holds the claim's lock until the job's end is in it.
    if (flock(fd.fd, LOCK_SH | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        p.state = State::running;
        return p;
      }
    } else {
      flock(fd.fd, LOCK_UN);
    }
    // The supervisor appends the end before it lets go of the lock: look again, whole this time.
    job = read_job(fd.fd);
    if (!job) return p;
    if (job->end) {
      p.state = State::ended;
      p.end = end_from(key, *job->end);
      return p;
    }
    // A registry written before run and end lines went into the claim keeps them in files of
    // their own (read only here, where a claim looks lost): an upgrade loses no job.
    if (auto legacy = read_record(file(name, ".end"))) {
      p.state = State::ended;
      p.end = end_from(key, *legacy);
      std::error_code ec;
      p.reported = fs::exists(file(name, ".reported"), ec);
      return p;
    }
    std::optional<Record> run = job->run ? job->run : read_record(file(name, ".run"));
    if (run) {
      int64_t start = run->get_int("start", -1);
      if (start >= 0 && process_start(static_cast<pid_t>(run->get_int("pid"))) == start) {
        p.state = State::running;
        p.orphan = true;
        p.pgid = static_cast<pid_t>(run->get_int("pgid"));
        p.timeout_s = job->claim.get_int("timeout_s");
        p.started_ms = run->get_int("started_ms");
        return p;
      }
    }
    // No supervisor ever ran for this claim: the runner that claimed the key was stopped before
    // it could start the job, so the job never ran. Start it now under the same claim, which
    // keeps "one start per key": the claim's lock lets only one runner do it.
    // Only once per claim (the "adopted" line), so a supervisor that dies at once is not started
    // over and over.
    if (!run && !job->adopted) {
      // The supervisor appends to the claim through the descriptor it inherits: open it for that.
      Fd rw{open(claim.c_str(), O_RDWR | O_APPEND | O_CLOEXEC)};
      if (rw.fd >= 0 && flock(rw.fd, LOCK_EX | LOCK_NB) == 0) {
        job = read_job(rw.fd);
        if (job && !job->run && !job->end && !job->adopted) {
          int high_fd = fcntl(rw.fd, F_DUPFD_CLOEXEC, 10);
          if (high_fd >= 0) {
            try {
              append_event(claim, "adopted", Record{});
              launcher.start_supervisor(name, high_fd);
              close(high_fd);
              p.state = State::running;
              return p;
            } catch (const std::exception &) {
              close(high_fd);  // could not start it: record below that it never ran
            }
          }
        }
        flock(rw.fd, LOCK_UN);
        if (job && job->end) {
          p.state = State::ended;
          p.end = end_from(key, *job->end);
          return p;
        }
      }
    }
    // Nobody holds the claim and nothing says how it ended: record that for every runner (the
    // first end in the file counts, so runners doing this at once agree on it).
    std::error_code ec;
    Record lost;
    lost.add("exit_code", run ? 255 : 127);
    lost.add("timed_out", 0);
    lost.add("cancelled", fs::exists(file(name, ".cancel"), ec) ? 1 : 0);
    lost.add("reason", run ? "its supervisor was killed; the exit status is unknown"
                           : "it never started: the runner stopped while starting it");
    lost.add("ended_ms", wall_ms());
    append_event(claim, "end", lost);
    job = read_job(fd.fd);
    p.state = State::ended;
    p.end = end_from(key, job && job->end ? *job->end : lost);
    return p;
  }

  void enforce_orphan_limits(Entry &e, const Probe &p) {
    int64_t now = steady_ms();
    if (e.orphan_kill_at < 0) {
      if (p.timeout_s > 0 && wall_ms() >= p.started_ms + p.timeout_s * 1000) {
        killpg(p.pgid, SIGTERM);
        e.orphan_kill_at = now + grace_ms;
      }
    } else if (now >= e.orphan_kill_at) {
      killpg(p.pgid, SIGKILL);
    }
  }

  void mark_reported(Entry &e) {
    if (e.reported) return;
    try {
      append_event(file(e.name, ".job"), "reported", Record{});
      e.reported = true;
      retire(e.name);
    } catch (const std::exception &) {
      // Not fatal: a later runner hands the end out again, which the plugin ignores.
    }
  }

  bool any_ended() {
    for (auto &[key, e] : jobs) {
      if (!e.ended && probe(key, e.name).state == State::ended) return true;
    }
    return false;
  }
};

std::optional<StartReservation> LocalJobs::reserve(const std::string &job_key) {
  std::lock_guard lock(impl_->mutex);
  if (impl_->keys_fd < 0) {
    const fs::path path = impl_->dir / "keys.lock";
    impl_->keys_fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (impl_->keys_fd < 0)
      throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(errno));
  }
  if (!impl_->reserved.insert(job_key).second) return std::nullopt;
  Impl *impl = impl_.get();
  auto forget = [impl, job_key] {
    std::lock_guard guard(impl->mutex);
    impl->reserved.erase(job_key);
  };
  try {
    auto taken = StartReservation::take(impl_->keys_fd, job_key, forget);
    if (!taken) impl_->reserved.erase(job_key);
    return taken;
  } catch (const std::exception &e) {
    impl_->reserved.erase(job_key);
    throw std::runtime_error("cannot lock " + (impl_->dir / "keys.lock").string() + ": " +
                             e.what());
  }
}

LocalJobs::LocalJobs(fs::path registry_dir, int64_t kill_grace_ms, fs::path supervise_path)
    : impl_(std::make_unique<Impl>(registry_dir, kill_grace_ms, supervise_path)) {
  fs::create_directories(impl_->dir);
  if (rlimit files{}; getrlimit(RLIMIT_NOFILE, &files) == 0)
    impl_->watch_budget =
        files.rlim_cur == RLIM_INFINITY ? SIZE_MAX : static_cast<size_t>(files.rlim_cur) / 2;
  impl_->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  // A supervisor appends the end to its claim and then exits, closing the claim it held open for
  // writing; a runner that records a lost end closes it too.
  if (impl_->inotify_fd >= 0 &&
      inotify_add_watch(impl_->inotify_fd, impl_->dir.c_str(), IN_CLOSE_WRITE) < 0) {
    close(impl_->inotify_fd);
    impl_->inotify_fd = -1;
  }
  std::vector<std::string> reported;
  for (const auto &item : fs::directory_iterator(impl_->dir)) {
    std::string file = item.path().filename().string();
    if (file.starts_with(".") || !file.ends_with(".job")) continue;
    auto job = read_job(item.path());
    if (!job || job->claim.get("key").empty()) continue;
    std::string name = file.substr(0, file.size() - 4);
    impl_->jobs[job->claim.get("key")] = Impl::Entry{name, job->reported, job->reported};
    // Left by a runner stopped between reporting the end and moving the claim.
    if (job->reported) reported.push_back(name);
  }
  for (const std::string &name : reported) impl_->retire(name);
}

LocalJobs::~LocalJobs() {
  impl_->launcher.stop();
  if (impl_->keys_fd >= 0) close(impl_->keys_fd);
  if (impl_->inotify_fd >= 0) close(impl_->inotify_fd);
  SupervisorLauncher::reap();
}

StartResult LocalJobs::start(const JobSpec &spec) {
  if (spec.job_key.empty()) throw std::runtime_error("the job key is empty");
  if (spec.argv.empty()) throw std::runtime_error("the job has no command");
  check_text(spec.job_key, "the job key");
  for (const std::string &arg : spec.argv) check_text(arg, "an argument");
  std::lock_guard lock(impl_->mutex);
  const std::string name = safe_name(spec.job_key);
  const fs::path claim_path = impl_->file(name, ".job");
  std::error_code ec;
  if (auto known = impl_->read_claim(name)) {
    if (known->claim.get("key") != spec.job_key) {
      throw std::runtime_error("job key " + spec.job_key + " collides with " +
                               known->claim.get("key") + " in the registry");
    }
    impl_->entry(spec.job_key, &*known);
    return StartResult::already_known;
  }

  if (impl_->supervise.empty()) {
    throw std::runtime_error("gk-supervise not found (looked at " + impl_->supervise_looked +
                             "); set GK_SUPERVISE to its path");
  }
  if (spec.workdir.empty()) throw std::runtime_error("the job has no workdir");
  const fs::path workdir = fs::absolute(spec.workdir);
  if (!fs::is_directory(workdir, ec)) {
    throw std::runtime_error("workdir " + workdir.string() +
                             (fs::exists(workdir, ec) ? " is not a directory" : " does not exist"));
  }
  std::string search_path;
  if (auto it = spec.env.find("PATH"); it != spec.env.end()) {
    search_path = it->second;
  } else if (const char *path = std::getenv("PATH")) {
    search_path = path;
  } else {
    search_path = "/usr/local/bin:/usr/bin:/bin";
  }
  const fs::path program = impl_->programs.find(spec.argv[0], workdir, search_path);
  if (spec.log_path.empty()) throw std::runtime_error("the job has no log path");
  const fs::path log = fs::absolute(spec.log_path);
  // The job creates its log; here only whether it could: an existing log opens for writing, or
  // its directory exists (made here when missing) and takes new files.
  int log_fd = open(log.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (log_fd >= 0) {
    close(log_fd);
  } else if (errno != ENOENT || !log_dir_writable(log.parent_path())) {
    throw std::runtime_error("cannot open log " + log.string() + ": " + std::strerror(errno));
  }

  Record claim;
  claim.add("key", spec.job_key);
  claim.add("program", program.string());
  for (const std::string &arg : spec.argv) claim.add("arg", arg);
  for (const auto &[key, value] : spec.env) {
    if (key.empty() || key.find('=') != std::string::npos) {
      throw std::runtime_error("bad environment variable name '" + key + "'");
    }
    check_text(value, "environment variable " + key);
    claim.add("env", key + "=" + value);
  }
  claim.add("workdir", workdir.string());
  claim.add("log", log.string());
  claim.add("timeout_s", std::max<int64_t>(spec.timeout_s, 0));
  claim.add("grace_ms", impl_->grace_ms);
  claim.add("created_ms", wall_ms());

  int lock_fd = -1;
  // Another runner on the same registry may have claimed the key since we looked.
  if (!create_claim(claim_path, claim, &lock_fd)) {
    impl_->entry(spec.job_key);
    return StartResult::already_known;
  }
  // Kept clear of 0..3, which the spawn's file actions replace.
  int high_fd = fcntl(lock_fd, F_DUPFD_CLOEXEC, 10);
  close(lock_fd);
  try {
    if (high_fd < 0) throw std::runtime_error(std::string("dup failed: ") + std::strerror(errno));
    impl_->launcher.start_supervisor(name, high_fd);
  } catch (...) {
    // Nothing ran: forget the claim so the key may be tried again.
    unlink(claim_path.c_str());
    if (high_fd >= 0) close(high_fd);
    throw;
  }
  close(high_fd);
  // A claim just made has nothing to read back: not ended, not reported.
  Impl::Entry &entry = impl_->jobs[spec.job_key] = Impl::Entry{name};
  // Within a budget of descriptors: beyond it, a job is looked at by reading its claim.
  if (impl_->watching < impl_->watch_budget) {
    if (int watch = open(claim_path.c_str(), O_RDONLY | O_CLOEXEC); watch >= 0) {
      entry.watch = std::make_shared<Fd>(watch);
      ++impl_->watching;
    }
  }
  return StartResult::started;
}

void LocalJobs::withhold_environment(std::vector<std::string> names) {
  std::lock_guard lock(impl_->mutex);
  impl_->launcher.withhold(std::move(names));
}

void LocalJobs::cancel(const std::string &job_key, const std::string &reason) {
  std::lock_guard lock(impl_->mutex);
  const std::string name = safe_name(job_key);
  Probe p = impl_->probe(job_key, name);
  if (p.state != State::running) return;
  Record cancel;
  cancel.add("reason", reason.empty() ? std::string("cancelled") : reason);
  write_record(impl_->file(name, ".cancel"), cancel);
  if (p.orphan) {
    killpg(p.pgid, SIGTERM);
    impl_->entry(job_key).orphan_kill_at = steady_ms() + impl_->grace_ms;
    return;
  }
  // Before its run line the supervisor has not forked yet and reads the request itself.
  auto job = read_job(impl_->file(name, ".job"));
  if (!job || !job->run) return;
  const Record *run = &*job->run;
  auto pid = static_cast<pid_t>(run->get_int("supervisor_pid"));
  int64_t start = run->get_int("supervisor_start", -1);
  if (start >= 0 && process_start(pid) == start) kill(pid, SIGUSR1);
}

void LocalJobs::acknowledge(const std::string &job_key) {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->jobs.find(job_key);
  if (it == impl_->jobs.end()) {
    auto job = impl_->read_claim(safe_name(job_key));
    if (!job) return;
    Impl::Entry &e = impl_->entry(job_key, &*job);
    e.ended = true;
    impl_->mark_reported(e);
    return;
  }
  it->second.ended = true;
  impl_->mark_reported(it->second);
}

std::vector<JobEnd> LocalJobs::reap() {
  std::lock_guard lock(impl_->mutex);
  SupervisorLauncher::reap();
  std::vector<JobEnd> ends;
  for (auto &[key, e] : impl_->jobs) {
    if (e.ended) continue;
    Probe p = impl_->probe(key, e.name);
    if (p.state == State::ended) {
      e.ended = true;
      if (p.reported) {
        e.reported = true;
        continue;
      }
      ends.push_back(p.end);
    } else if (p.state == State::running && p.orphan) {
      impl_->enforce_orphan_limits(e, p);
    }
  }
  return ends;
}

int LocalJobs::alive(const std::string &job_key) const {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->jobs.find(job_key);
  if (it != impl_->jobs.end() && it->second.ended) return 0;
  const State state = impl_->probe(job_key, safe_name(job_key)).state;
  if (state != State::unknown && it == impl_->jobs.end()) impl_->entry(job_key);
  switch (state) {
    case State::running:
      return 1;
    case State::ended:
      return 0;
    case State::unknown:
      break;
  }
  return -1;
}

std::vector<std::string> LocalJobs::running() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<std::string> keys;
  for (auto &[key, e] : impl_->jobs) {
    if (!e.ended && impl_->probe(key, e.name).state == State::running) keys.push_back(key);
  }
  return keys;
}

std::optional<int64_t> LocalJobs::started_ms(const std::string &job_key) const {
  auto job = impl_->read_claim(safe_name(job_key));
  if (!job || !job->run) return std::nullopt;
  const int64_t ms = job->run->get_int("started_ms", -1);
  return ms >= 0 ? std::optional<int64_t>(ms) : std::nullopt;
}

void LocalJobs::wait_any(int64_t timeout_ms) {
  const int64_t deadline = steady_ms() + std::max<int64_t>(timeout_ms, 0);
  for (;;) {
    {
      std::lock_guard lock(impl_->mutex);
      if (impl_->any_ended()) return;
    }
    int64_t remaining = deadline - steady_ms();
    if (remaining <= 0) return;
    // inotify wakes us the moment a supervisor ends; the cap also notices ones that died.
    int slice = static_cast<int>(std::min<int64_t>(remaining, impl_->inotify_fd >= 0 ? 250 : 20));
    if (impl_->inotify_fd < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(slice));
      continue;
    }
    pollfd pfd{impl_->inotify_fd, POLLIN, 0};
    if (poll(&pfd, 1, slice) <= 0) continue;
    alignas(inotify_event) char buffer[4096];
    while (read(impl_->inotify_fd, buffer, sizeof buffer) > 0) {
    }
  }
}

}  // namespace gk::jobs
