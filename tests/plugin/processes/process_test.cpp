// Process tests: real gk_test_host processes (see test_host.cpp) drive one state file, several at
// the same time or one SIGKILLed at random moments and started again. Whatever happens, every
// task's job is dispatched once (attempt #1, one job_offered event) and executed exactly once
// (one line in the hosts' job log), and the goal finishes done.
//
// The test reads the state through the plugin (goalkeeper.hpp, loaded by path) only while no host
// runs, and it stops only the hosts it started, by their pid.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <goalkeeper/goalkeeper.hpp>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

extern char **environ;

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

// A host that runs longer than this is killed (by its pid) and the test fails.
constexpr auto kHostTimeLimit = std::chrono::seconds(120);
const std::string kLimitsConfig = R"({"limits":{"max_parallel":1000}})";

// ---- temp dirs and files ------------------------------------------------------------------------

// A fresh directory under /tmp, removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string templ = "/tmp/gk_process_XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path &path() const { return path_; }

 private:
  fs::path path_;
};

void write_file(const fs::path &path, const std::string &text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

std::string read_file(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---- goal files ---------------------------------------------------------------------------------

std::string numbered(const std::string &prefix, int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%03d", i);
  return prefix + buf;
}

std::string spawn_task(const std::string &id) {
  return "      - {id: " + id + ", session_policy: spawn, run: [\"true\"]}\n";
}

// One goal of `tasks` parallel spawn tasks.
std::string fan_out_yaml(const std::string &goal, int tasks, std::vector<std::string> &keys) {
  std::string y = "version: 1\ngoals:\n  - id: " + goal +
                  "\n    title: Parallel spawn tasks stepped by several hosts\n"
                  "    parallel: true\n    max_parallel: 50\n    tasks:\n";
  for (int i = 0; i < tasks; ++i) {
    std::string id = numbered("t-", i);
    y += spawn_task(id);
    keys.push_back(goal + "/" + id + "#1");
  }
  return y;
}

// One goal: a parallel parent of `spawned` spawn tasks, then a sequential tail of `tail` reuse
// tasks in the pinned session.
std::string fan_out_then_tail_yaml(const std::string &goal, int spawned, int tail,
                                   std::vector<std::string> &keys) {
  std::string y = "version: 1\ngoals:\n  - id: " + goal +
                  "\n    title: A fan-out and a sequential tail, driven by a host that is killed\n"
                  "    max_parallel: 50\n    tasks:\n"
                  "      - id: fan\n        parallel: true\n        tasks:\n";
  for (int i = 0; i < spawned; ++i) {
    std::string id = numbered("p-", i);
    y += "    " + spawn_task(id);
    keys.push_back(goal + "/" + id + "#1");
  }
  for (int i = 0; i < tail; ++i) {
    std::string id = numbered("tail-", i);
    y += "      - {id: " + id + ", session_policy: reuse, run: [\"true\"]}\n";
    keys.push_back(goal + "/" + id + "#1");
  }
  return y;
}

// ---- host processes -----------------------------------------------------------------------------

struct HostFiles {
  fs::path state, goal_file, log, claims;
};

HostFiles host_files(const fs::path &dir) {
  return {dir / "state.db", dir / "goals.yaml", dir / "jobs.log", dir / "claims"};
}

struct HostOptions {
  std::string owner;
  std::optional<int> jobs_per_step;  // gk_step capacity
  int job_ms = 0;                    // how long each job runs
};

// Starts a host. With ready_fd (the write end of a pipe), the host writes a byte to it once it
// is about to make its first step.
pid_t start_host(const HostFiles &f, const HostOptions &o, int ready_fd = -1) {
  std::vector<std::string> args = {GK_TEST_HOST_PATH,
                                   "--plugin",
                                   GK_PLUGIN_PATH,
                                   "--state",
                                   f.state,
                                   "--goal-file",
                                   f.goal_file,
                                   "--log",
                                   f.log,
                                   "--claims",
                                   f.claims,
                                   "--owner",
                                   o.owner,
                                   "--config",
                                   kLimitsConfig,
                                   "--job-ms",
                                   std::to_string(o.job_ms)};
  if (o.jobs_per_step) {
    args.emplace_back("--jobs-per-step");
    args.push_back(std::to_string(*o.jobs_per_step));
  }
  constexpr int kChildReadyFd = 3;
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  if (ready_fd >= 0) {
    args.emplace_back("--ready-fd");
    args.push_back(std::to_string(kChildReadyFd));
    ::posix_spawn_file_actions_adddup2(&actions, ready_fd, kChildReadyFd);
  }
  std::vector<char *> argv;
  for (auto &a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error(std::string("posix_spawn: ") + std::strerror(rc));
  return pid;
}

struct Exit {
  int status = 0;
  bool timed_out = false;
  bool ok() const { return !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0; }
};

std::string describe(const Exit &e) {
  if (e.timed_out) return "ran past the time limit and was killed";
  if (WIFEXITED(e.status)) return "exited with " + std::to_string(WEXITSTATUS(e.status));
  if (WIFSIGNALED(e.status)) return "was killed by signal " + std::to_string(WTERMSIG(e.status));
  return "ended with wait status " + std::to_string(e.status);
}

// Reaps pid, or returns nullopt while it still runs.
std::optional<int> try_reap(pid_t pid) {
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r == 0) return std::nullopt;
    if (errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
  }
}

int kill_and_reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  for (;;) {
    int status = 0;
    if (::waitpid(pid, &status, 0) == pid) return status;
    if (errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
  }
}

// Waits for pid; kills it when it runs past the deadline.
Exit wait_host(pid_t pid, Clock::time_point deadline) {
  while (true) {
    if (auto status = try_reap(pid)) return {*status, false};
    if (Clock::now() >= deadline) return {kill_and_reap(pid), true};
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// A pipe whose ends are closed on exec (the child gets its own copy of the write end by dup2).
struct Pipe {
  int read = -1, write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
      throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
    read = fds[0];
    write = fds[1];
  }
  Pipe(const Pipe &) = delete;
  Pipe &operator=(const Pipe &) = delete;
  ~Pipe() {
    close_write();
    if (read >= 0) ::close(read);
  }
  void close_write() {
    if (write >= 0) ::close(write);
    write = -1;
  }
};

// Waits until the host says it is ready (true), or exits first or takes longer than the limit.
bool wait_ready(Pipe &ready, Clock::time_point deadline) {
  ready.close_write();  // so a host that dies before it is ready gives EOF
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{ready.read, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    char byte = 0;
    ssize_t got = ::read(ready.read, &byte, 1);
    if (got < 0 && errno == EINTR) continue;
    return got == 1;
  }
}

// ---- what the run left behind -------------------------------------------------------------------

struct LogCheck {
  std::map<std::string, int> count;  // expected key -> complete lines
  std::vector<std::string> unexpected, torn;
};

// Reads the job log. A line that is a proper prefix of an expected key is a write torn by a
// SIGKILL (not an execution); empty lines terminate such fragments.
LogCheck check_log(const fs::path &log, const std::vector<std::string> &keys) {
  LogCheck c;
  for (const auto &k : keys) c.count[k] = 0;
  std::string text = read_file(log);
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto it = c.count.find(line);
    if (it != c.count.end()) {
      ++it->second;
      continue;
    }
    bool prefix = std::any_of(keys.begin(), keys.end(), [&](const std::string &k) {
      return k.size() > line.size() && k.compare(0, line.size(), line) == 0;
    });
    (prefix ? c.torn : c.unexpected).push_back(line);
  }
  return c;
}

void expect_every_key_exactly_once(const LogCheck &c) {
  int missing = 0, repeated = 0;
  for (const auto &[key, n] : c.count) {
    if (n == 0 && ++missing <= 10) ADD_FAILURE() << "job " << key << " was never executed";
    if (n > 1 && ++repeated <= 10)
      ADD_FAILURE() << "job " << key << " was executed " << n << " times";
  }
  EXPECT_EQ(missing, 0) << "jobs never executed";
  EXPECT_EQ(repeated, 0) << "jobs executed more than once";
  for (const auto &line : c.unexpected)
    ADD_FAILURE() << "the log holds a line that is no job key of the goal (a second attempt?): "
                  << line;
}

// A key of an event or query result: the name goalkeeper.h documents, or the one the plugin
// writes today.
const json::value *either(const json::object &o, const char *documented, const char *current) {
  if (const auto *v = o.if_contains(documented)) return v;
  return o.if_contains(current);
}

// Every event of the state, oldest first (paged).
std::vector<json::object> all_events(goalkeeper::Handle &state) {
  std::vector<json::object> out;
  int64_t after = 0;
  constexpr int64_t kLimit = 1000;
  for (int page = 0; page < 1000; ++page) {
    json::value r = json::parse(state.query(
        json::serialize(json::object{{"what", "events"}, {"after", after}, {"limit", kLimit}})));
    const auto &events = r.at("events").as_array();
    for (const auto &e : events) out.push_back(e.as_object());
    if (static_cast<int64_t>(events.size()) < kLimit) break;
    const auto *next = either(r.as_object(), "next_after", "last_id");
    if (next == nullptr) {
      ADD_FAILURE() << "an events page has no next_after (nor last_id)";
      break;
    }
    after = next->to_number<int64_t>();
  }
  return out;
}

struct EventSummary {
  std::map<std::string, int> types;    // event type -> count
  std::map<std::string, int> offered;  // job key of a job_offered event -> count
};

EventSummary summarize_events(goalkeeper::Handle &state) {
  EventSummary sum;
  for (const auto &e : all_events(state)) {
    const auto *type = either(e, "type", "kind");
    const std::string t = type && type->is_string() ? std::string(type->as_string()) : "?";
    ++sum.types[t];
    if (t != "job_offered") continue;
    const auto *data = e.if_contains("data");
    const auto *key =
        data && data->is_object() ? data->as_object().if_contains("job_key") : nullptr;
    ++sum.offered[key && key->is_string() ? std::string(key->as_string()) : std::string("?")];
  }
  return sum;
}

// The audit log shows each job offered, started and finished once, and the goal finished once.
void expect_each_job_once_in_events(goalkeeper::Handle &state,
                                    const std::vector<std::string> &keys) {
  const EventSummary sum = summarize_events(state);
  auto count = [&](const char *type) {
    auto it = sum.types.find(type);
    return it == sum.types.end() ? 0 : it->second;
  };
  std::string all;
  for (const auto &[t, n] : sum.types) all += " " + t + "=" + std::to_string(n);
  SCOPED_TRACE("events:" + all);
  const int n = static_cast<int>(keys.size());
  EXPECT_EQ(count("job_offered"), n) << "job_offered events";
  EXPECT_EQ(count("job_started"), n) << "job_started events";
  EXPECT_EQ(count("job_finished"), n) << "job_finished events";
  EXPECT_EQ(count("goal_finished"), 1) << "goal_finished events";
  EXPECT_EQ(count("job_lost"), 0) << "job_lost events";
  for (const auto &k : keys)
    EXPECT_EQ(sum.offered.count(k) ? sum.offered.at(k) : 0, 1) << "job_offered events for " << k;
  for (const auto &[k, times] : sum.offered)
    if (std::find(keys.begin(), keys.end(), k) == keys.end())
      ADD_FAILURE() << "offered a job that is no first attempt of the goal: " << k << " (" << times
                    << " times)";
}

// The goal's entry of a status query, or nullopt when the goal is not in the state.
std::optional<json::object> goal_status(goalkeeper::Handle &state, const std::string &goal) {
  json::value r = json::parse(state.query(R"({"what":"status"})"));
  for (const auto &g : r.at("goals").as_array())
    if (g.at("goal_id").as_string() == goal) return g.as_object();
  return std::nullopt;
}

void expect_finished_done(goalkeeper::Handle &state, const std::string &goal, int leaves) {
  auto st = goal_status(state, goal);
  ASSERT_TRUE(st.has_value()) << "goal " << goal << " is not in the state";
  EXPECT_EQ(st->at("state").as_string(), "finished") << json::serialize(*st);
  EXPECT_EQ(st->at("status").as_string(), "done") << json::serialize(*st);
  const auto &progress = st->at("progress").as_object();
  EXPECT_EQ(progress.at("done").to_number<int64_t>(), leaves) << json::serialize(*st);
  EXPECT_EQ(progress.at("total").to_number<int64_t>(), leaves) << json::serialize(*st);
}

// The plugin, loaded once and never unloaded: a LeakSanitizer exit-time scan can crash ("Tracer
// caught signal 11") after a library with thread_local data was unloaded by dlclose.
const goalkeeper::Plugin &loaded_plugin() {
  static const auto *const plugin = new goalkeeper::Plugin(GK_PLUGIN_PATH);
  return *plugin;
}

std::string state_config(const fs::path &state) {
  return json::serialize(json::object{{"state_path", state.string()}});
}

// ---- the tests ----------------------------------------------------------------------------------

TEST(Process, ThreeProcessesSteppingOneStateDispatchEveryTaskExactlyOnce) {
  TempDir dir;
  const HostFiles f = host_files(dir.path());
  const std::string goal = "three-hosts";
  std::vector<std::string> keys;
  write_file(f.goal_file, fan_out_yaml(goal, 200, keys));

  // All three at once; different step capacities so their work interleaves unevenly.
  const auto deadline = Clock::now() + kHostTimeLimit;
  const std::vector<std::optional<int>> capacities = {std::nullopt, 10, 25};
  std::vector<pid_t> pids;
  for (size_t i = 0; i < capacities.size(); ++i)
    pids.push_back(start_host(f, {"host-" + std::to_string(i + 1), capacities[i], 1}));
  for (size_t i = 0; i < pids.size(); ++i) {
    Exit e = wait_host(pids[i], deadline);
    EXPECT_TRUE(e.ok()) << "host " << i + 1 << " (pid " << pids[i] << ") " << describe(e);
  }

  LogCheck log = check_log(f.log, keys);
  expect_every_key_exactly_once(log);
  for (const auto &line : log.torn) ADD_FAILURE() << "torn log line without any kill: " << line;

  const goalkeeper::Plugin &plugin = loaded_plugin();
  goalkeeper::Handle state(plugin, state_config(f.state));
  expect_each_job_once_in_events(state, keys);
  expect_finished_done(state, goal, 200);
}

TEST(Process, SigkilledHostRestartedManyTimesFinishesWithEveryJobRunExactlyOnce) {
  constexpr int kMidRunKills = 20;
  constexpr int kLivesWithProgress = 5;
  constexpr int kMaxLives = 400;
  constexpr auto kKillPhaseLimit = std::chrono::seconds(90);
  constexpr int kTasks = 200;
  // Each job runs 12 ms, so a life that works at most 60 ms executes at most 5 jobs: 20 lives
  // cannot finish the 200 jobs, however fast the machine is, and most kills land inside a job.
  constexpr int kJobMs = 12;
  // Every 4th life is killed at a random moment from its start, usually while it opens the state
  // or loads the goal file; those kills do not count towards the 20.
  constexpr int kStartupKillEvery = 4;
  unsigned seed = std::random_device{}();
  if (const char *s = std::getenv("GK_PROCESS_SEED")) seed = static_cast<unsigned>(std::stoul(s));
  SCOPED_TRACE("seed " + std::to_string(seed) +
               " (rerun with GK_PROCESS_SEED=" + std::to_string(seed) + ")");
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> sleep_ms(5, 60);
  const bool verbose = std::getenv("GK_PROCESS_VERBOSE") != nullptr;

  TempDir dir;
  const HostFiles f = host_files(dir.path());
  const std::string goal = "restarts";
  std::vector<std::string> keys;
  // Every life loads the same file (a no-op once loaded) and starts the goal (a no-op once
  // running), so a restarted host simply carries on from the state.
  write_file(f.goal_file, fan_out_then_tail_yaml(goal, 150, 50, keys));
  ASSERT_EQ(keys.size(), static_cast<size_t>(kTasks));
  const HostOptions host{"restarted-host", std::nullopt, kJobMs};

  const goalkeeper::Plugin &plugin = loaded_plugin();
  std::optional<goalkeeper::Handle> state;
  int mid_run_kills = 0, lives = 0, lives_with_progress = 0;
  int64_t last_done = 0;
  bool finished = false;
  // Kill until 20 kills landed while the goal ran and a few lives got work done (on a loaded
  // machine some lives die while still starting), or the goal finished (a failure).
  const auto kill_phase_end = Clock::now() + kKillPhaseLimit;
  for (; lives < kMaxLives && Clock::now() < kill_phase_end && !finished &&
         (mid_run_kills < kMidRunKills || lives_with_progress < kLivesWithProgress);
       ++lives) {
    // Most lives are killed 5-60 ms after they are ready to step (the start-up of a sanitizer
    // build alone takes longer than that), so the kills land in the middle of the work.
    const int ms = sleep_ms(rng);
    const bool startup_kill = lives % kStartupKillEvery == kStartupKillEvery - 1;
    Pipe ready;
    pid_t pid = start_host(f, host, ready.write);
    const bool was_ready = !startup_kill && wait_ready(ready, Clock::now() + kHostTimeLimit);
    std::optional<int> exited;
    if (!startup_kill && !was_ready) {
      exited = try_reap(pid);  // it exited before it was ready (reported below), or it hangs
      if (!exited)
        ADD_FAILURE() << "life " << lives << ": the host (pid " << pid
                      << ") did not get ready within the time limit";
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      exited = try_reap(pid);
    }
    if (!exited) kill_and_reap(pid);
    // A host only exits by itself once the goal finished, and then with 0.
    if (exited && !(WIFEXITED(*exited) && WEXITSTATUS(*exited) == 0))
      ADD_FAILURE() << "life " << lives << ": the host (pid " << pid << ") "
                    << describe(Exit{*exited, false});
    // The first lives may die before the state file exists: open it once a host made it.
    if (!state && fs::exists(f.state)) state.emplace(plugin, state_config(f.state));
    auto st = state ? goal_status(*state, goal) : std::nullopt;
    if (verbose)
      std::printf("life %d: %d ms after %s, %s, %s\n", lives, ms, was_ready ? "ready" : "start",
                  exited ? "exited" : "killed",
                  st ? json::serialize(st->at("progress")).c_str() : "goal not loaded yet");
    if (!st) continue;  // killed before the goal was loaded
    finished = st->at("state").as_string() == "finished";
    int64_t done = st->at("progress").as_object().at("done").to_number<int64_t>();
    if (done > last_done) ++lives_with_progress;
    last_done = done;
    if (!exited && !finished && was_ready) ++mid_run_kills;
  }
  std::printf("%d lives, %d SIGKILLs while the goal ran, %d lives made progress (%lld/%d done)\n",
              lives, mid_run_kills, lives_with_progress, static_cast<long long>(last_done), kTasks);
  std::fflush(stdout);
  EXPECT_GE(mid_run_kills, kMidRunKills)
      << "the goal finished after " << mid_run_kills << " kills that landed mid-run in " << lives
      << " lives: make the goal bigger or the sleeps shorter";
  EXPECT_GE(lives_with_progress, kLivesWithProgress)
      << "too few lives got any work done before they were killed";

  // A last life runs to the end.
  pid_t pid = start_host(f, host);
  Exit e = wait_host(pid, Clock::now() + kHostTimeLimit);
  EXPECT_TRUE(e.ok()) << "the final host (pid " << pid << ") " << describe(e);

  LogCheck log = check_log(f.log, keys);
  expect_every_key_exactly_once(log);
  for (const auto &line : log.torn)
    std::printf("a SIGKILL tore a log write (not an execution): %s\n", line.c_str());

  if (!state) state.emplace(plugin, state_config(f.state));
  expect_each_job_once_in_events(*state, keys);
  expect_finished_done(*state, goal, kTasks);
}

}  // namespace
