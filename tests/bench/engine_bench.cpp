// gk_engine_bench: the engine's cost per task, driven through the C ABI by an in-process host
// whose jobs are instant (every run_job is reported "started" then "finished" with exit code 0
// as soon as the step that offered it returns). The state is a SQLite file in a fresh temp dir.
//
// Scenarios (each runs in a forked child, so its peak RSS is its own):
//   fanout  one parallel goal of N spawn tasks; each step offers up to --max-parallel jobs.
//   chain   one sequential goal of N reuse tasks; each step offers one job.
//   idle    a goal of N tasks with --max-parallel of them running; gk_step("{}") when nothing
//           changes, timed call by call.
//
// Engine cost is the time spent inside gk_* calls (gk_load, gk_start, gk_step, gk_job_event);
// the host's own work (building YAML, parsing step output with Boost.JSON, bookkeeping) is
// measured apart and reported as "host". See BENCHMARKS.md for the targets.
#include <goalkeeper/goalkeeper.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// What a scenario reports to the parent, through a pipe: plain data only.
struct Result {
  char scenario[16] = {};
  int64_t n = 0;
  double load_s = 0, start_s = 0, step_s = 0, event_s = 0;  // inside gk_* calls
  double host_s = 0;                                        // the host's own work
  double wall_s = 0;                                        // load .. goal_finished
  int64_t steps = 0, jobs = 0, events = 0;
  double idle_median_us = 0, idle_p99_us = 0, idle_max_us = 0, idle_mean_us = 0;
  int64_t idle_calls = 0;
  long maxrss_kb = 0;          // the child's peak RSS (wait4)
  long hwm_after_load_kb = 0;  // VmHWM right after gk_load returned
  long rss_end_kb = 0;         // VmRSS once the scenario's work is done, the handle still open
  double cpu_user_s = 0, cpu_sys_s = 0;  // the child's CPU time (whole scenario)
  int ok = 0;
  char message[512] = {};

  double engine_s() const { return load_s + start_s + step_s + event_s; }
  double per_task_us() const { return n > 0 ? engine_s() * 1e6 / static_cast<double>(n) : 0; }
};

struct Options {
  std::string scenario = "all";
  std::optional<int64_t> n;
  std::string durability = "normal";
  int64_t max_parallel = 1000;
  int64_t idle_calls = 1000;
  bool fork = true;
  int repeat = 1;
};

[[noreturn]] void fail(const std::string &what) {
  throw std::runtime_error(what);
}

// Concatenates strings and numbers (GCC 12 warns falsely, -Wrestrict, on "literal" + string).
template <class... A>
std::string cat(const A &...parts) {
  std::string s;
  auto add = [&s](const auto &x) {
    if constexpr (std::is_arithmetic_v<std::decay_t<decltype(x)>>)
      s += std::to_string(x);
    else
      s.append(std::string_view(x));
  };
  (add(parts), ...);
  return s;
}

void check(int rc, const char *call, std::string_view arg = {}) {
  if (rc != GK_OK) {
    if (arg.empty()) fail(cat(call, " returned ", rc, ": ", gk_last_error()));
    fail(cat(call, "(", arg, ") returned ", rc, ": ", gk_last_error()));
  }
}

// A fresh directory for one scenario's state file, removed when the scenario ends.
class TempDir {
 public:
  TempDir() {
    std::string base = (std::filesystem::temp_directory_path() / "gk-bench-XXXXXX").string();
    std::vector<char> buf(base.begin(), base.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data())) fail(cat("mkdtemp failed: ", std::strerror(errno)));
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const std::filesystem::path &path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A "VmRSS:" / "VmHWM:" line of /proc/self/status, in kB; 0 when unavailable.
long proc_status_kb(std::string_view field) {
  FILE *f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  long kb = 0;
  while (std::fgets(line, sizeof line, f)) {
    if (std::string_view(line).substr(0, field.size()) == field) {
      kb = std::strtol(line + field.size(), nullptr, 10);
      break;
    }
  }
  std::fclose(f);
  return kb;
}

int64_t fixed_now(void *ctx) {
  return *static_cast<const int64_t *>(ctx);
}

// The in-process host. Every gk_* call goes through a wrapper that adds its duration to the
// matching field of the Result; nothing else is inside those timers.
class Host {
 public:
  Host(const Options &opt, Result &r) : r_(r) {
    // A fixed injected clock: leases never run out however slow the run (valgrind), and runs
    // are repeatable.
    gk_host host;
    gk_host_init(&host);
    host.ctx = &now_;
    host.now_ms = fixed_now;
    json::object config{
        {"state_path", (dir_.path() / "state.db").string()},
        {"durability", opt.durability},
        {"limits", {{"max_parallel", opt.max_parallel}}},
    };
    check(gk_open(&host, json::serialize(config).c_str(), &p_), "gk_open");
  }
  ~Host() { gk_close(p_); }
  Host(const Host &) = delete;
  Host &operator=(const Host &) = delete;

  void load(const std::string &yaml) {
    char *out = nullptr;
    auto t0 = Clock::now();
    int rc = gk_load(p_, yaml.c_str(), "bench.yaml", &out);
    r_.load_s += seconds_since(t0);
    r_.hwm_after_load_kb = proc_status_kb("VmHWM:");
    gk_free(out);
    check(rc, "gk_load");
  }

  void start(const char *goal) {
    auto t0 = Clock::now();
    int rc = gk_start(p_, goal, nullptr);
    r_.start_s += seconds_since(t0);
    check(rc, "gk_start", goal);
  }

  // Returns the step's output (host-owned copy) and the time spent inside gk_step.
  std::string step(double *elapsed = nullptr) {
    char *out = nullptr;
    auto t0 = Clock::now();
    int rc = gk_step(p_, "{}", &out);
    double dt = seconds_since(t0);
    r_.step_s += dt;
    ++r_.steps;
    if (elapsed) *elapsed = dt;
    if (rc != GK_OK) {
      gk_free(out);
      check(rc, "gk_step");
    }
    std::string s(out);
    gk_free(out);
    return s;
  }

  void job_event(const std::string &key, const char *event) {
    auto t0 = Clock::now();
    int rc = gk_job_event(p_, key.c_str(), event);
    r_.event_s += seconds_since(t0);
    ++r_.events;
    check(rc, "gk_job_event", key);
  }

  json::object query(const std::string &q) {
    char *out = nullptr;
    int rc = gk_query(p_, q.c_str(), &out);
    if (rc != GK_OK) {
      gk_free(out);
      check(rc, "gk_query", q);
    }
    json::value v = json::parse(out);
    gk_free(out);
    return v.as_object();
  }

 private:
  Result &r_;
  TempDir dir_;
  int64_t now_ = 1'700'000'000'000;
  gk_plugin *p_ = nullptr;
};

// What the host takes from one step's output.
struct StepActions {
  std::vector<std::string> run_keys;
  std::vector<std::pair<std::string, std::string>> finished;  // goal_id, status
  size_t other = 0;                                           // any other action
};

StepActions parse_step(const std::string &text) {
  StepActions a;
  json::monotonic_resource mr;
  json::value v = json::parse(text, &mr);
  for (const json::value &x : v.at("actions").as_array()) {
    const json::object &o = x.as_object();
    std::string_view type = o.at("type").as_string();
    if (type == "run_job") {
      a.run_keys.emplace_back(o.at("job_key").as_string());
    } else if (type == "goal_finished") {
      a.finished.emplace_back(std::string(o.at("goal_id").as_string()),
                              std::string(o.at("status").as_string()));
    } else {
      ++a.other;
    }
  }
  return a;
}

std::string goal_yaml(const char *goal, int64_t n, bool parallel, const char *policy,
                      int64_t max_parallel) {
  std::string y = "version: 1\ngoals:\n  - id: ";
  y += goal;
  y += "\n";
  if (parallel) y += "    parallel: true\n";
  y += cat("    max_parallel: ", max_parallel, "\n");
  y += "    run: [\"true\"]\n    session_policy: ";
  y += policy;
  y += "\n    tasks:\n";
  y.reserve(y.size() + static_cast<size_t>(n) * 20);
  for (int64_t i = 0; i < n; ++i) {
    y += "      - {id: t";
    y += std::to_string(i);
    y += "}\n";
  }
  return y;
}

// "<goal>/t<i>#1" -> i, or -1 when the key is not of that shape.
int64_t task_index(std::string_view key, std::string_view goal) {
  if (key.size() <= goal.size() + 4 || key.substr(0, goal.size()) != goal) return -1;
  key.remove_prefix(goal.size());
  if (key.substr(0, 2) != "/t" || key.substr(key.size() - 2) != "#1") return -1;
  key = key.substr(2, key.size() - 4);
  if (key.empty()) return -1;
  int64_t i = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return -1;
    i = i * 10 + (c - '0');
  }
  return i;
}

// Load, start, then step and report every offered job as started and finished until the goal
// finishes. Checks that every task ran exactly once, at attempt 1, and that the goal is done.
void drive_to_finish(const Options &opt, Result &r, const char *goal, bool parallel,
                     const char *policy, size_t max_offer) {
  auto wall0 = Clock::now();
  double host = 0;
  auto h0 = Clock::now();
  std::string yaml = goal_yaml(goal, r.n, parallel, policy, opt.max_parallel);
  host += seconds_since(h0);

  Host h(opt, r);
  h.load(yaml);
  h0 = Clock::now();
  yaml = std::string();
  host += seconds_since(h0);
  h.start(goal);

  std::vector<char> seen(static_cast<size_t>(r.n), 0);
  bool done = false;
  int idle_steps = 0;
  while (!done) {
    std::string out = h.step();
    h0 = Clock::now();
    StepActions a = parse_step(out);
    if (a.other) fail(cat("unexpected action in step ", r.steps, ": ", out));
    if (a.run_keys.size() > max_offer)
      fail(cat("step offered ", a.run_keys.size(), " jobs, more than ", max_offer));
    for (const std::string &key : a.run_keys) {
      int64_t i = task_index(key, goal);
      if (i < 0 || i >= r.n) fail(cat("unexpected job key ", key));
      if (seen[static_cast<size_t>(i)]++) fail(cat("job key offered twice: ", key));
    }
    for (auto &[g, status] : a.finished) {
      if (g != goal || status != "done") fail(cat("goal_finished ", g, " ", status));
      done = true;
    }
    idle_steps = a.run_keys.empty() ? idle_steps + 1 : 0;
    if (idle_steps > 2 && !done) fail(cat("no progress: a step offered nothing: ", out));
    host += seconds_since(h0);
    for (const std::string &key : a.run_keys) {
      h.job_event(key, R"({"type":"started"})");
      h.job_event(key, R"({"type":"finished","exit_code":0})");
      ++r.jobs;
    }
  }
  r.wall_s = seconds_since(wall0);
  r.rss_end_kb = proc_status_kb("VmRSS:");
  r.host_s = host;

  // Correctness, outside the timed region.
  if (r.jobs != r.n) fail(cat("ran ", r.jobs, " jobs for ", r.n, " tasks"));
  json::object st = h.query(cat(R"({"what":"status","goal_id":")", goal, "\"}"));
  const json::object &g = st.at("goals").as_array().at(0).as_object();
  const json::object &prog = g.at("progress").as_object();
  if (g.at("state").as_string() != "finished" || g.at("status").as_string() != "done" ||
      prog.at("done").to_number<int64_t>() != r.n || prog.at("total").to_number<int64_t>() != r.n)
    fail(cat("goal status after the run: ", json::serialize(g)));
  // Every task individually, when N is small enough to afford the queries.
  if (r.n <= 1000) {
    for (int64_t i = 0; i < r.n; ++i) {
      json::object t =
          h.query(cat(R"({"what":"task","goal_id":")", goal, R"(","task_id":"t)", i, "\"}"));
      if (t.at("status").as_string() != "done") fail(cat("task t", i, " not done"));
    }
  }
}

void run_fanout(const Options &opt, Result &r) {
  drive_to_finish(opt, r, "fan", true, "spawn", static_cast<size_t>(opt.max_parallel));
}

void run_chain(const Options &opt, Result &r) {
  drive_to_finish(opt, r, "chain", false, "reuse", 1);
}

void run_idle(const Options &opt, Result &r) {
  auto wall0 = Clock::now();
  Host h(opt, r);
  h.load(goal_yaml("idle", r.n, true, "spawn", opt.max_parallel));
  h.start("idle");
  StepActions a = parse_step(h.step());
  int64_t expect = std::min(opt.max_parallel, r.n);
  if (static_cast<int64_t>(a.run_keys.size()) != expect)
    fail(cat("first step offered ", a.run_keys.size(), " jobs, expected ", expect));
  for (const std::string &key : a.run_keys) h.job_event(key, R"({"type":"started"})");
  // One step to settle whatever the events left to do; then nothing changes.
  h.step();

  std::vector<double> lat;
  lat.reserve(static_cast<size_t>(opt.idle_calls));
  double host = 0;
  for (int64_t i = 0; i < opt.idle_calls; ++i) {
    double dt = 0;
    std::string out = h.step(&dt);
    lat.push_back(dt * 1e6);
    auto h0 = Clock::now();
    StepActions s = parse_step(out);
    if (!s.run_keys.empty() || !s.finished.empty() || s.other)
      fail(cat("an idle step returned actions: ", out.substr(0, 400)));
    host += seconds_since(h0);
  }
  r.wall_s = seconds_since(wall0);
  r.rss_end_kb = proc_status_kb("VmRSS:");
  r.host_s = host;
  r.idle_calls = static_cast<int64_t>(lat.size());
  std::vector<double> sorted = lat;
  std::sort(sorted.begin(), sorted.end());
  auto pct = [&](double p) {
    size_t idx = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
    return sorted[std::min(idx, sorted.size() - 1)];
  };
  if (!sorted.empty()) {
    r.idle_median_us = pct(0.50);
    r.idle_p99_us = pct(0.99);
    r.idle_max_us = sorted.back();
    double sum = 0;
    for (double x : lat) sum += x;
    r.idle_mean_us = sum / static_cast<double>(lat.size());
  }
  json::object st = h.query(R"({"what":"status","goal_id":"idle"})");
  const json::object &g = st.at("goals").as_array().at(0).as_object();
  if (g.at("state").as_string() != "running")
    fail(cat("idle goal is not running: ", json::serialize(g)));
}

void run_scenario(const Options &opt, Result &r) {
  std::string_view s = r.scenario;
  if (s == "fanout") {
    run_fanout(opt, r);
  } else if (s == "chain") {
    run_chain(opt, r);
  } else if (s == "idle") {
    run_idle(opt, r);
  } else {
    fail(cat("unknown scenario ", s));
  }
}

void run_caught(const Options &opt, Result &r) {
  try {
    run_scenario(opt, r);
    r.ok = 1;
  } catch (const std::exception &e) {
    r.ok = 0;
    std::snprintf(r.message, sizeof r.message, "%s", e.what());
  }
}

bool write_all(int fd, const void *data, size_t len) {
  const char *p = static_cast<const char *>(data);
  while (len > 0) {
    ssize_t w = write(fd, p, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    len -= static_cast<size_t>(w);
  }
  return true;
}

bool read_all(int fd, void *data, size_t len) {
  char *p = static_cast<char *>(data);
  while (len > 0) {
    ssize_t got = read(fd, p, len);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    p += got;
    len -= static_cast<size_t>(got);
  }
  return true;
}

double tv_seconds(const timeval &tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
}

// Runs one scenario in a forked child (the parent never opens a handle, so the child starts
// clean) and takes its peak RSS from wait4(). Without --fork, runs in process and reports
// this process's peak RSS so far.
Result run(const Options &opt, const char *scenario, int64_t n) {
  Result r;
  std::snprintf(r.scenario, sizeof r.scenario, "%s", scenario);
  r.n = n;
  std::fflush(stdout);
  if (!opt.fork) {
    rusage before{};
    getrusage(RUSAGE_SELF, &before);
    run_caught(opt, r);
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    r.maxrss_kb = ru.ru_maxrss;
    r.cpu_user_s = tv_seconds(ru.ru_utime) - tv_seconds(before.ru_utime);
    r.cpu_sys_s = tv_seconds(ru.ru_stime) - tv_seconds(before.ru_stime);
    return r;
  }
  int fds[2];
  if (pipe(fds) != 0) {
    std::snprintf(r.message, sizeof r.message, "pipe: %s", std::strerror(errno));
    return r;
  }
  pid_t pid = fork();
  if (pid < 0) {
    std::snprintf(r.message, sizeof r.message, "fork: %s", std::strerror(errno));
    close(fds[0]);
    close(fds[1]);
    return r;
  }
  if (pid == 0) {
    close(fds[0]);
    run_caught(opt, r);
    bool sent = write_all(fds[1], &r, sizeof r);
    close(fds[1]);
    _exit(sent ? 0 : 3);
  }
  close(fds[1]);
  bool got = read_all(fds[0], &r, sizeof r);
  close(fds[0]);
  int status = 0;
  rusage ru{};
  while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
  }
  if (!got) {
    r.ok = 0;
    std::snprintf(r.message, sizeof r.message, "the child died (wait status %d)", status);
  }
  r.maxrss_kb = ru.ru_maxrss;
  r.cpu_user_s = tv_seconds(ru.ru_utime);
  r.cpu_sys_s = tv_seconds(ru.ru_stime);
  return r;
}

// The better of two runs of one scenario: less engine time, or the lower idle median.
bool better(const Result &a, const Result &b) {
  if (a.ok != b.ok) return a.ok > b.ok;
  if (std::string_view(a.scenario) == "idle") return a.idle_median_us < b.idle_median_us;
  return a.engine_s() < b.engine_s();
}

void print_header(const Options &opt) {
  std::printf("goalkeeper engine benchmark: plugin %s, ABI 0x%08" PRIx32
              ", durability %s, max_parallel %" PRId64 ", state in %s\n",
              gk_version(), gk_abi_version(), opt.durability.c_str(), opt.max_parallel,
              std::filesystem::temp_directory_path().c_str());
  double load[3] = {0, 0, 0};
  if (FILE *f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3) load[0] = -1;
    std::fclose(f);
  }
  std::printf("load average at start: %.2f %.2f %.2f (%ld CPUs online); best of %d run(s) each\n",
              load[0], load[1], load[2], sysconf(_SC_NPROCESSORS_ONLN), opt.repeat);
  std::printf(
      "engine = time inside gk_load + gk_start + gk_step + gk_job_event; host = the "
      "bench's own JSON parsing and bookkeeping\n\n");
}

void print_run_table(const std::vector<Result> &rs) {
  bool any = false;
  for (const Result &r : rs) any = any || std::string_view(r.scenario) != "idle";
  if (!any) return;
  std::printf("%-7s %8s %6s %9s %9s %9s %9s %10s %8s %8s %8s %8s %9s %8s\n", "scen", "N", "steps",
              "load ms", "start ms", "step ms", "event ms", "engine ms", "us/task", "load/t",
              "step/t", "event/t", "wall ms", "RSS MB");
  for (const Result &r : rs) {
    if (std::string_view(r.scenario) == "idle") continue;
    if (!r.ok) {
      std::printf("%-7s %8" PRId64 "  FAILED: %s\n", r.scenario, r.n, r.message);
      continue;
    }
    double n = static_cast<double>(r.n);
    std::printf("%-7s %8" PRId64 " %6" PRId64
                " %9.1f %9.1f %9.1f %9.1f %10.1f %8.1f %8.1f %8.1f "
                "%8.1f %9.1f %8.1f\n",
                r.scenario, r.n, r.steps, r.load_s * 1e3, r.start_s * 1e3, r.step_s * 1e3,
                r.event_s * 1e3, r.engine_s() * 1e3, r.per_task_us(), r.load_s * 1e6 / n,
                r.step_s * 1e6 / n, r.event_s * 1e6 / n, r.wall_s * 1e3,
                static_cast<double>(r.maxrss_kb) / 1024.0);
  }
  std::printf(
      "(us/task = engine ms / N; load/t, step/t, event/t split it; wall includes the "
      "host's %s)\n\n",
      "YAML building and step parsing");
}

void print_memory_table(const std::vector<Result> &rs) {
  std::printf("%-7s %8s %12s %14s %14s %10s %10s\n", "scen", "N", "peak RSS MB", "HWM@load MB",
              "RSS at end MB", "user s", "sys s");
  for (const Result &r : rs) {
    if (!r.ok) continue;
    std::printf("%-7s %8" PRId64 " %12.1f %14.1f %14.1f %10.2f %10.2f\n", r.scenario, r.n,
                static_cast<double>(r.maxrss_kb) / 1024.0,
                static_cast<double>(r.hwm_after_load_kb) / 1024.0,
                static_cast<double>(r.rss_end_kb) / 1024.0, r.cpu_user_s, r.cpu_sys_s);
  }
  std::printf(
      "(peak = ru_maxrss of the scenario's child; HWM@load = peak right after gk_load, "
      "the host's YAML text included;\n user/sys = CPU time of the whole child, setup and "
      "checks included)\n\n");
}

void print_idle_table(const std::vector<Result> &rs) {
  bool any = false;
  for (const Result &r : rs) any = any || std::string_view(r.scenario) == "idle";
  if (!any) return;
  std::printf("%-7s %8s %8s %9s %10s %10s %10s %10s %8s\n", "scen", "N", "calls", "load ms",
              "median us", "p99 us", "max us", "mean us", "RSS MB");
  for (const Result &r : rs) {
    if (std::string_view(r.scenario) != "idle") continue;
    if (!r.ok) {
      std::printf("%-7s %8" PRId64 "  FAILED: %s\n", r.scenario, r.n, r.message);
      continue;
    }
    std::printf("%-7s %8" PRId64 " %8" PRId64 " %9.1f %10.1f %10.1f %10.1f %10.1f %8.1f\n",
                r.scenario, r.n, r.idle_calls, r.load_s * 1e3, r.idle_median_us, r.idle_p99_us,
                r.idle_max_us, r.idle_mean_us, static_cast<double>(r.maxrss_kb) / 1024.0);
  }
  std::printf("\n");
}

const Result *find(const std::vector<Result> &rs, std::string_view scenario, int64_t n) {
  for (const Result &r : rs)
    if (scenario == r.scenario && r.n == n && r.ok) return &r;
  return nullptr;
}

void target(const char *what, std::optional<bool> pass, const std::string &measured) {
  const char *verdict = !pass ? "n/a " : *pass ? "PASS" : "MISS";
  std::printf("  [%s] %-52s %s\n", verdict, what, measured.c_str());
}

std::string fmt(const char *f, double a, double b = 0) {
  char buf[160];
  std::snprintf(buf, sizeof buf, f, a, b);
  return buf;
}

void print_targets(const std::vector<Result> &rs) {
  std::printf("targets:\n");
  const Result *f10k = find(rs, "fanout", 10'000);
  const Result *f100k = find(rs, "fanout", 100'000);
  const Result *idle = find(rs, "idle", 100'000);
  if (f100k)
    target("fan-out engine cost <= 100 us/task at N=100,000", f100k->per_task_us() <= 100.0,
           fmt("%.1f us/task", f100k->per_task_us()));
  else
    target("fan-out engine cost <= 100 us/task at N=100,000", std::nullopt, "not run");
  if (f10k && f100k) {
    double ratio = f100k->per_task_us() / f10k->per_task_us();
    target("flat: us/task at 100,000 <= 1.2 x us/task at 10,000", ratio <= 1.2,
           fmt("%.2f x (%.1f us/task at 10,000)", ratio, f10k->per_task_us()));
  } else {
    target("flat: us/task at 100,000 <= 1.2 x us/task at 10,000", std::nullopt, "not run");
  }
  if (idle) {
    target("idle gk_step median <= 1 ms at 100,000 tasks", idle->idle_median_us <= 1000.0,
           fmt("median %.1f us", idle->idle_median_us));
    target("idle gk_step p99 <= 1 ms at 100,000 tasks", idle->idle_p99_us <= 1000.0,
           fmt("p99 %.1f us", idle->idle_p99_us));
  } else {
    target("idle gk_step <= 1 ms at 100,000 tasks", std::nullopt, "not run");
  }
  if (f100k)
    target("peak RSS <= 200 MB at N=100,000 (fan-out)", f100k->maxrss_kb <= 200 * 1024,
           fmt("%.1f MB", static_cast<double>(f100k->maxrss_kb) / 1024.0));
  else
    target("peak RSS <= 200 MB at N=100,000 (fan-out)", std::nullopt, "not run");
  if (idle)
    target("peak RSS <= 200 MB at N=100,000 (idle)", idle->maxrss_kb <= 200 * 1024,
           fmt("%.1f MB", static_cast<double>(idle->maxrss_kb) / 1024.0));
}

[[noreturn]] void usage(int code) {
  std::fprintf(
      code ? stderr : stdout,
      "usage: gk_engine_bench [--scenario fanout|chain|idle|all] [--n N]\n"
      "                       [--durability normal|full] [--max-parallel M]\n"
      "                       [--idle-calls K] [--repeat R] [--no-fork]\n"
      "  fanout: N = 1000, 10000, 100000 unless --n; chain: N = 10000; idle: N = 100000\n"
      "  --repeat R runs each scenario R times and reports the fastest run (noisy machines)\n"
      "  --no-fork runs scenarios in this process (for valgrind); RSS is then cumulative\n");
  std::exit(code);
}

int64_t parse_count(const char *flag, const char *s) {
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(s, &end, 10);
  if (errno || !end || *end || v < 1) {
    std::fprintf(stderr, "%s: not a positive integer: %s\n", flag, s);
    usage(2);
  }
  return v;
}

Options parse_args(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> const char * {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", argv[i]);
        usage(2);
      }
      return argv[++i];
    };
    if (a == "--scenario") {
      o.scenario = value();
      if (o.scenario != "fanout" && o.scenario != "chain" && o.scenario != "idle" &&
          o.scenario != "all")
        usage(2);
    } else if (a == "--n") {
      o.n = parse_count("--n", value());
    } else if (a == "--durability") {
      o.durability = value();
      if (o.durability != "normal" && o.durability != "full") usage(2);
    } else if (a == "--max-parallel") {
      o.max_parallel = parse_count("--max-parallel", value());
    } else if (a == "--idle-calls") {
      o.idle_calls = parse_count("--idle-calls", value());
    } else if (a == "--repeat") {
      o.repeat = static_cast<int>(std::min<int64_t>(parse_count("--repeat", value()), 100));
    } else if (a == "--no-fork") {
      o.fork = false;
    } else if (a == "--help" || a == "-h") {
      usage(0);
    } else {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      usage(2);
    }
  }
  return o;
}

}  // namespace

int main(int argc, char **argv) {
  Options opt = parse_args(argc, argv);
  if (gk_abi_version() >> 16 != GK_ABI_VERSION_MAJOR) {
    std::fprintf(stderr, "plugin ABI 0x%08" PRIx32 " does not match this bench\n",
                 gk_abi_version());
    return 2;
  }
  print_header(opt);
  std::fflush(stdout);

  struct Planned {
    const char *scenario;
    int64_t n;
  };
  std::vector<Planned> plan;
  bool all = opt.scenario == "all";
  if (all || opt.scenario == "fanout") {
    if (opt.n)
      plan.push_back({"fanout", *opt.n});
    else
      for (int64_t n : {1'000, 10'000, 100'000}) plan.push_back({"fanout", n});
  }
  if (all || opt.scenario == "chain") plan.push_back({"chain", opt.n.value_or(10'000)});
  if (all || opt.scenario == "idle") plan.push_back({"idle", opt.n.value_or(100'000)});

  std::vector<Result> results;
  bool ok = true;
  for (const Planned &p : plan) {
    std::fprintf(stderr, "running %s N=%" PRId64 " ...\n", p.scenario, p.n);
    Result r = run(opt, p.scenario, p.n);
    for (int k = 1; k < opt.repeat && r.ok; ++k) {
      Result again = run(opt, p.scenario, p.n);
      if (!again.ok || better(again, r)) r = again;
    }
    if (!r.ok) {
      ok = false;
      std::fprintf(stderr, "%s N=%" PRId64 " FAILED: %s\n", p.scenario, p.n, r.message);
    }
    results.push_back(r);
  }
  print_run_table(results);
  print_idle_table(results);
  print_memory_table(results);
  print_targets(results);
  return ok ? 0 : 1;
}
