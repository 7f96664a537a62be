// gk_test_host -- a small CI host for the process tests. It loads the plugin at run time through
// goalkeeper.hpp, opens a state, loads a goal file, starts its goals and steps them to the end.
// Its only "job" is appending the job key to a log file, and it makes sure each job key is
// executed exactly once, even when several hosts step the same state at once and when a host is
// SIGKILLed at any instruction and started again.
//
//   gk_test_host --plugin PATH --state PATH --goal-file FILE --log FILE --claims DIR
//                [--owner ID] [--config JSON] [--jobs-per-step N] [--job-ms N]
//                [--max-steps N] [--max-seconds N] [--ready-fd N]
//
// --ready-fd names an inherited descriptor the host writes one byte to and closes once it has
// opened the state, loaded and started its goals and is about to make its first step.
// --job-ms is how long each job runs (a sleep between claiming the job and its effect), so a
// test that kills hosts at random moments mostly kills them in the middle of a job.
//
// Exactly once. The log is the record of what was executed: key K counts as executed when the
// log holds the complete line "K\n". A host executes K only while it holds an exclusive flock()
// on the claim file CLAIMS/<K with '/' and '#' replaced by '_'> (created with O_CREAT|O_EXCL by
// the first host that meets K), and only after re-reading the log under that lock:
//
//   lock claim(K) -> K in the log? -> if not: append "K\n", fsync -> note "done" in the claim
//   -> report started, finished -> note "reported" in the claim -> unlock.
//
// The kernel drops a flock when its holder dies, so a claim whose owner was killed is taken over
// by the next host that meets K (no pid checks, so no pid reuse races, and claim files are never
// unlinked, so two hosts can never lock two different inodes for one key). A host killed after
// the append but before its report leaves K in the log: the next holder of the claim finds it
// there and only reports. A host killed between "started" and "finished" leaves a running job the
// plugin never offers again; at start (and now and then while idle) a host scans the claims for
// unlocked ones that are not "reported" and whose key is in the log, and reports them finished.
// Reports are idempotent in the plugin (a repeated "started" is a no-op, a late "finished" is
// recorded and ignored).
//
// A SIGKILL can tear a log write that crosses a page boundary, leaving a fragment without '\n'.
// Such a fragment is not an execution (the line is incomplete); the next append terminates it
// with a '\n' first so it cannot merge with the next key.
//
// Output: one summary line on stdout. Exit status 0 when every goal of the file finished with
// status done, 1 when a goal finished otherwise or the step bound ran out, 2 on errors.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <goalkeeper/goalkeeper.hpp>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

// GK_ERR_BUSY is legitimate under contention: the call changed nothing, so it is retried.
constexpr int kBusyRetries = 40;
// While idle, scan the claims for unreported jobs every this many idle steps.
constexpr int kRecoverEveryIdleSteps = 50;

struct Options {
  std::string plugin, state, goal_file, log, claims, owner = "host", config;
  std::optional<long> jobs_per_step;
  long job_ms = 0;
  long max_steps = 100000;
  long max_seconds = 300;
  int ready_fd = -1;
};

struct Counters {
  long steps = 0, executed = 0, already_in_log = 0, skipped_locked = 0, skipped_reported = 0,
       recovered = 0, busy_retries = 0, idle_steps = 0, over_capacity_steps = 0,
       most_run_jobs_in_a_step = 0;
};

[[noreturn]] void die(const std::string &what) {
  std::fprintf(stderr, "gk_test_host[%d]: %s\n", static_cast<int>(::getpid()), what.c_str());
  std::exit(2);
}

[[noreturn]] void die_errno(const std::string &what) {
  die(what + ": " + std::strerror(errno));
}

long parse_long(const std::string &flag, const std::string &text) {
  char *end = nullptr;
  errno = 0;
  long v = std::strtol(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0' || v < 0)
    die(flag + " needs a non-negative integer, found '" + text + "'");
  return v;
}

Options parse_args(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) die("missing value after " + flag);
    std::string value = argv[++i];
    if (flag == "--plugin") {
      o.plugin = value;
    } else if (flag == "--state") {
      o.state = value;
    } else if (flag == "--goal-file") {
      o.goal_file = value;
    } else if (flag == "--log") {
      o.log = value;
    } else if (flag == "--claims") {
      o.claims = value;
    } else if (flag == "--owner") {
      o.owner = value;
    } else if (flag == "--config") {
      o.config = value;
    } else if (flag == "--jobs-per-step") {
      o.jobs_per_step = parse_long(flag, value);
    } else if (flag == "--job-ms") {
      o.job_ms = parse_long(flag, value);
    } else if (flag == "--max-steps") {
      o.max_steps = parse_long(flag, value);
    } else if (flag == "--ready-fd") {
      o.ready_fd = static_cast<int>(parse_long(flag, value));
    } else if (flag == "--max-seconds") {
      o.max_seconds = parse_long(flag, value);
    } else {
      die("unknown option " + flag);
    }
  }
  if (o.plugin.empty() || o.state.empty() || o.goal_file.empty() || o.log.empty() ||
      o.claims.empty())
    die("usage: gk_test_host --plugin PATH --state PATH --goal-file FILE --log FILE --claims DIR "
        "[--owner ID] [--config JSON] [--jobs-per-step N] [--job-ms N] [--max-steps N] "
        "[--max-seconds N] [--ready-fd N]");
  return o;
}

// ---- files --------------------------------------------------------------------------------------

// Reads what fd holds from offset 0 (pread, so the file offset of an O_APPEND fd does not matter).
std::string read_fd(int fd, const std::string &what) {
  std::string text;
  char buf[8192];
  for (off_t off = 0;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, off);
    if (n < 0) {
      if (errno == EINTR) continue;
      die_errno("read " + what);
    }
    if (n == 0) return text;
    text.append(buf, static_cast<size_t>(n));
    off += n;
  }
}

std::string read_path(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return {};
    die_errno("open " + path);
  }
  std::string text = read_fd(fd, path);
  ::close(fd);
  return text;
}

void write_all(int fd, std::string_view data, const std::string &what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      die_errno("write " + what);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// Whether the log text holds the complete line "key\n".
bool log_has(const std::string &log_text, const std::string &key) {
  const std::string line = key + "\n";
  for (size_t pos = log_text.find(line); pos != std::string::npos;
       pos = log_text.find(line, pos + 1)) {
    if (pos == 0 || log_text[pos - 1] == '\n') return true;
  }
  return false;
}

// The job's effect: one line "key\n" appended to the log and made durable.
void append_to_log(const std::string &path, const std::string &key) {
  int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) die_errno("open " + path);
  // A torn fragment left by a killed writer is terminated so it cannot merge with this key. (A
  // concurrent append in flight may make this add an empty line, which readers skip.)
  struct stat st {};
  if (::fstat(fd, &st) != 0) die_errno("stat " + path);
  char last = '\n';
  if (st.st_size > 0 && ::pread(fd, &last, 1, st.st_size - 1) != 1) die_errno("read " + path);
  std::string record = (last != '\n' ? "\n" : "") + key + "\n";
  write_all(fd, record, path);
  if (::fsync(fd) != 0) die_errno("fsync " + path);
  ::close(fd);
}

std::string claim_name(const std::string &key) {
  std::string name = key;
  for (char &c : name)
    if (c == '/' || c == '#') c = '_';
  return name;
}

// An exclusive flock on a claim file, released when the Claim goes away (or the process dies).
class Claim {
 public:
  // Locks the claim file at path, creating it if needed. Empty when another live process holds
  // the lock.
  static std::optional<Claim> acquire(const std::string &path, bool create) {
    int fd = -1;
    if (create) fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
      if (create && errno != EEXIST) die_errno("create claim " + path);
      fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
      if (fd < 0) die_errno("open claim " + path);
    }
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EINTR) continue;
      if (errno == EWOULDBLOCK) {
        ::close(fd);
        return std::nullopt;
      }
      die_errno("flock " + path);
    }
    return Claim(fd, path);
  }

  Claim(Claim &&o) noexcept : fd_(std::exchange(o.fd_, -1)), path_(std::move(o.path_)) {}
  Claim(const Claim &) = delete;
  Claim &operator=(const Claim &) = delete;
  Claim &operator=(Claim &&) = delete;
  ~Claim() {
    if (fd_ >= 0) ::close(fd_);
  }

  std::string content() const { return read_fd(fd_, path_); }
  void note(const std::string &line) { write_all(fd_, line + "\n", path_); }

  // The key recorded by a "key=K ..." line, or "" when no holder got that far.
  std::string key() const {
    std::string text = content();
    for (size_t pos = 0; pos < text.size();) {
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) break;
      std::string_view line(text.data() + pos, end - pos);
      if (line.starts_with("key=")) {
        line.remove_prefix(4);
        return std::string(line.substr(0, line.find(' ')));
      }
      pos = end + 1;
    }
    return {};
  }

  bool reported() const {
    std::string text = "\n" + content();
    return text.find("\nreported\n") != std::string::npos;
  }

 private:
  Claim(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

// ---- the host -----------------------------------------------------------------------------------

class Host {
 public:
  Host(Options o, goalkeeper::Handle &state) : o_(std::move(o)), state_(state) {}

  int run() {
    const std::string yaml = read_path(o_.goal_file);
    if (yaml.empty()) die("goal file " + o_.goal_file + " is empty or missing");
    json::value loaded = json::parse(busy_retry([&] { return state_.load(yaml, o_.goal_file); }));
    for (const auto &g : loaded.at("goals").as_array())
      goals_.emplace(std::string(g.at("goal_id").as_string()), std::string());
    for (const auto &[id, status] : goals_) busy_retry([&] { state_.start(id); });

    recover();
    if (o_.ready_fd >= 0) {
      write_all(o_.ready_fd, "r", "the ready descriptor");
      ::close(o_.ready_fd);
    }
    const std::string input =
        o_.jobs_per_step ? json::serialize(json::object{{"capacity", *o_.jobs_per_step}}) : "{}";
    const auto deadline = Clock::now() + std::chrono::seconds(o_.max_seconds);
    bool all_finished = false;
    while (c_.steps < o_.max_steps && Clock::now() < deadline) {
      ++c_.steps;
      json::value out = json::parse(busy_retry([&] { return state_.step(input); }));
      long run_jobs = 0, handled = 0;
      for (const auto &a : out.at("actions").as_array()) {
        const auto &type = a.at("type").as_string();
        if (type == "run_job") {
          ++run_jobs;
          if (run_job(std::string(a.at("job_key").as_string()))) ++handled;
        } else if (type == "goal_finished") {
          auto it = goals_.find(std::string(a.at("goal_id").as_string()));
          if (it != goals_.end()) it->second = std::string(a.at("status").as_string());
        }
      }
      c_.most_run_jobs_in_a_step = std::max(c_.most_run_jobs_in_a_step, run_jobs);
      if (o_.jobs_per_step && run_jobs > *o_.jobs_per_step) ++c_.over_capacity_steps;
      if (every_goal_finished()) {
        all_finished = true;
        break;
      }
      if (handled > 0) continue;
      // Nothing to do here: another host may hold the jobs, or may have seen the goals finish.
      ++c_.idle_steps;
      if (finished_in_state()) {
        all_finished = true;
        break;
      }
      if (c_.idle_steps % kRecoverEveryIdleSteps == 0) recover();
      int64_t next = out.at("next_step_ms").to_number<int64_t>();
      std::this_thread::sleep_for(std::chrono::milliseconds(std::clamp<int64_t>(next, 1, 5)));
    }

    bool all_done = all_finished;
    std::string statuses;
    for (const auto &[id, status] : goals_) {
      statuses += (statuses.empty() ? "" : ",") + id + "=" + (status.empty() ? "?" : status);
      if (status != "done") all_done = false;
    }
    std::printf(
        "gk_test_host owner=%s pid=%d goals=%s finished=%s steps=%ld executed=%ld "
        "already_in_log=%ld skipped_locked=%ld skipped_reported=%ld recovered=%ld "
        "busy_retries=%ld idle_steps=%ld most_run_jobs_in_a_step=%ld over_capacity_steps=%ld\n",
        o_.owner.c_str(), static_cast<int>(::getpid()), statuses.c_str(),
        all_finished ? "yes" : "no", c_.steps, c_.executed, c_.already_in_log, c_.skipped_locked,
        c_.skipped_reported, c_.recovered, c_.busy_retries, c_.idle_steps,
        c_.most_run_jobs_in_a_step, c_.over_capacity_steps);
    std::fflush(stdout);
    return all_done ? 0 : 1;
  }

 private:
  template <typename F>
  auto busy_retry(F &&f) -> decltype(f()) {
    for (int attempt = 1;; ++attempt) {
      try {
        return f();
      } catch (const goalkeeper::Error &e) {
        if (e.status() != GK_ERR_BUSY || attempt >= kBusyRetries) throw;
        ++c_.busy_retries;
        std::this_thread::sleep_for(std::chrono::milliseconds(2 + attempt % 10));
      }
    }
  }

  bool every_goal_finished() const {
    for (const auto &[id, status] : goals_)
      if (status.empty()) return false;
    return true;
  }

  // goal_finished is announced once, maybe to another process: the state says it too.
  bool finished_in_state() {
    json::value st = json::parse(busy_retry([&] { return state_.query(R"({"what":"status"})"); }));
    for (const auto &g : st.at("goals").as_array()) {
      auto it = goals_.find(std::string(g.at("goal_id").as_string()));
      if (it != goals_.end() && g.at("state").as_string() == "finished")
        it->second = std::string(g.at("status").as_string());
    }
    return every_goal_finished();
  }

  void report(const std::string &key) {
    busy_retry([&] { state_.job_event(key, R"({"type":"started"})"); });
    busy_retry([&] { state_.job_event(key, R"({"type":"finished","exit_code":0})"); });
  }

  // One run_job action. Returns whether this host dealt with it (false: another host holds it,
  // or already reported it).
  bool run_job(const std::string &key) {
    auto claim = Claim::acquire(o_.claims + "/" + claim_name(key), true);
    if (!claim) {
      ++c_.skipped_locked;
      return false;
    }
    if (claim->reported()) {
      ++c_.skipped_reported;
      return false;
    }
    claim->note("key=" + key + " owner=" + o_.owner + " pid=" + std::to_string(::getpid()));
    if (log_has(read_path(o_.log), key)) {
      ++c_.already_in_log;  // executed by a holder that died before it reported
    } else {
      if (o_.job_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(o_.job_ms));
      append_to_log(o_.log, key);
      ++c_.executed;
    }
    claim->note("done");
    report(key);
    claim->note("reported");
    return true;
  }

  // Reports jobs whose holder died after executing them but before reporting them finished.
  void recover() {
    DIR *dir = ::opendir(o_.claims.c_str());
    if (dir == nullptr) die_errno("opendir " + o_.claims);
    std::vector<std::string> names;
    while (const dirent *e = ::readdir(dir)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
    ::closedir(dir);
    for (const std::string &name : names) {
      auto claim = Claim::acquire(o_.claims + "/" + name, false);
      if (!claim || claim->reported()) continue;
      const std::string key = claim->key();
      if (key.empty() || !log_has(read_path(o_.log), key)) continue;  // offered again later
      claim->note("recovered owner=" + o_.owner + " pid=" + std::to_string(::getpid()));
      claim->note("done");
      report(key);
      claim->note("reported");
      ++c_.recovered;
    }
  }

  Options o_;
  goalkeeper::Handle &state_;
  std::map<std::string, std::string> goals_;  // goal id -> final status ("" while unfinished)
  Counters c_;
};

}  // namespace

int main(int argc, char **argv) {
  Options o = parse_args(argc, argv);
  try {
    if (::mkdir(o.claims.c_str(), 0755) != 0 && errno != EEXIST) die_errno("mkdir " + o.claims);
    json::object config;
    if (!o.config.empty()) config = json::parse(o.config).as_object();
    config["state_path"] = o.state;
    // The library stays loaded until the process ends (this copy is never destroyed): a
    // LeakSanitizer exit-time scan can crash ("Tracer caught signal 11") after a library with
    // thread_local data was unloaded by dlclose.
    static const auto *const keep_loaded = new goalkeeper::Plugin(o.plugin);
    const goalkeeper::Plugin &plugin = *keep_loaded;
    std::optional<goalkeeper::Handle> state;
    // Opening may meet a lock too (another host creating the schema).
    for (int attempt = 1; !state; ++attempt) {
      try {
        state.emplace(plugin, json::serialize(config));
      } catch (const goalkeeper::Error &e) {
        if (e.status() != GK_ERR_BUSY || attempt >= kBusyRetries) throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    return Host(std::move(o), *state).run();
  } catch (const goalkeeper::Error &e) {
    die("goalkeeper error " + std::to_string(e.status()) + ": " + e.what());
  } catch (const std::exception &e) {
    die(std::string("error: ") + e.what());
  }
}
