// `goalkeeper serve`: the step loop of `run` plus an HTTP/1.1 server in the same process, so a
// webhook, a signal or a review advances its goal at once.
//
// Threads:
//   main      the step loop and everything it owns: the Driver, the job bookkeeping (starting,
//             reaping, reporting), the view, the bridge's picture of watching gates. Nothing else
//             touches them.
//   http (N)  the server's Asio threads. A request becomes one gk_* call on the shared handle
//             (the plugin serializes calls) and, when it changed state, a kick of the Waker.
//   watcher   blocks in LocalJobs::wait_any and kicks the Waker the moment a job ends, so the
//             step loop never sleeps in a call it cannot leave.
//   bridge    the review-bot bridge's outgoing calls (centaur_bridge.hpp).
// The step loop sleeps on the Waker until a kick, the plugin's next_step_ms, or 100 ms (to notice
// SIGTERM/SIGINT). On a signal: the server stops accepting, finishes the requests in flight and
// returns; the bridge revokes its callbacks; serve exits 0. Every gk_* call is its own
// transaction, so the state is consistent whenever the process stops.
#include <sys/resource.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>
#include <set>

#include "centaur_bridge.hpp"
#include "commands.hpp"
#include "goal_text.hpp"
#include "http/server.hpp"
#include "serve_api.hpp"
#include "serve_stream.hpp"
#include "session.hpp"

namespace gk::runner {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

class Waker {
 public:
  void kick() {
    std::lock_guard lock(mutex_);
    kicked_ = true;
    cv_.notify_all();
  }
  bool take_kick() {
    std::lock_guard lock(mutex_);
    return std::exchange(kicked_, false);
  }
  // Until a kick (left for take_kick) or the deadline.
  void wait_until(Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    cv_.wait_until(lock, deadline, [&] { return kicked_ || stop_; });
  }
  void passed() {
    std::lock_guard lock(mutex_);
    ++passes_;
    cv_.notify_all();
  }
  uint64_t passes() {
    std::lock_guard lock(mutex_);
    return passes_;
  }
  // Until a pass after `seen`, the deadline or stop.
  void wait_pass(uint64_t seen, milliseconds within) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, within, [&] { return passes_ > seen || stop_; });
  }
  void stop() {
    std::lock_guard lock(mutex_);
    stop_ = true;
    cv_.notify_all();
  }
  bool stopping() {
    std::lock_guard lock(mutex_);
    return stop_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool kicked_ = false, stop_ = false;
  uint64_t passes_ = 0;
};

// Kicks the step loop when a job ends. wait_any returns early only while an end waits to be
// reaped, so after a kick it waits for the loop's next pass before it looks again.
class JobWatcher {
 public:
  JobWatcher(jobs::LocalJobs &jobs, Waker &waker)
      : jobs_(jobs), waker_(waker), thread_([this] { run(); }) {}
  ~JobWatcher() {
    waker_.stop();
    thread_.join();
  }

 private:
  void run() {
    int streak = 0;
    while (!waker_.stopping()) {
      auto t0 = Clock::now();
      jobs_.wait_any(250);
      if (waker_.stopping()) return;
      if (Clock::now() - t0 >= milliseconds(240)) {
        streak = 0;
        continue;
      }
      uint64_t seen = waker_.passes();
      waker_.kick();
      waker_.wait_pass(seen, milliseconds(1000));
      // An end the loop does not take (it cannot report it yet): do not spin on it.
      if (++streak > 3) std::this_thread::sleep_for(milliseconds(200));
    }
  }

  jobs::LocalJobs &jobs_;
  Waker &waker_;
  std::thread thread_;
};

// Descriptors serve keeps for itself whatever the connections take: the state file and its
// journal, job logs, prompts and results, the job registry's watches, libcurl's connections.
constexpr size_t kDescriptorHeadroom = 64;

// The connection cap, lowered when connections could use up the descriptor limit (RLIMIT_NOFILE,
// `ulimit -n`): without a descriptor serve can neither accept nor write its state. Sets *why when
// it lowered the cap.
size_t connections_within_descriptors(size_t wanted, std::string *why) {
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur == RLIM_INFINITY) return wanted;
  const auto limit = static_cast<size_t>(files.rlim_cur);
  const size_t room = limit > 2 * kDescriptorHeadroom ? limit - kDescriptorHeadroom : limit / 2;
  if (wanted <= room) return wanted;
  *why = "--max-connections " + std::to_string(wanted) + " lowered to " + std::to_string(room) +
         ": the descriptor limit (ulimit -n) is " + std::to_string(limit) + " and serve keeps " +
         std::to_string(limit - room) + " for its state, logs and jobs";
  return std::max<size_t>(room, 1);
}

std::string env_or_empty(const std::string &name) {
  if (name.empty()) return {};
  const char *v = std::getenv(name.c_str());
  return v ? std::string(v) : std::string();
}

// The centaur_review leaves of a gate's config (the config itself for a plain gate, any depth of
// all/any for a compound one).
void centaur_leaves(const json::object &config, std::vector<const json::object *> &out) {
  for (const char *mode : {"all", "any"}) {
    const auto *list = config.if_contains(mode);
    if (!list || !list->is_array()) continue;
    for (const auto &part : list->as_array())
      if (part.is_object()) centaur_leaves(part.as_object(), out);
    return;
  }
  const auto *type = config.if_contains("type");
  if (type && type->is_string() && type->as_string() == "centaur_review") out.push_back(&config);
}

// What the bot is told about a watching gate, or nullopt when the bot has no part in it. A
// compound gate with one centaur_review leaf gets a callback like a plain one (a verdict signals
// its task, which resolves that leaf); with several (maybe of several pull requests) one callback
// could not tell them apart, so those leaves are left to polling.
std::optional<json::object> bot_info(goalkeeper::Handle &state, const std::string &goal,
                                     const json::value &task_id) {
  try {
    json::value task = parse_answer(state.query(
        json::serialize(json::object{{"what", "task"}, {"goal_id", goal}, {"task_id", task_id}})));
    const auto *gate = task.as_object().if_contains("gate");
    const auto *config =
        gate && gate->is_object() ? gate->as_object().if_contains("config") : nullptr;
    if (!config || !config->is_object()) return json::object{};
    std::vector<const json::object *> leaves;
    centaur_leaves(config->as_object(), leaves);
    if (leaves.size() != 1) return std::nullopt;
    json::object info;
    for (const char *k : {"repo", "pr", "pr_url"})
      if (const auto *v = leaves[0]->if_contains(k)) info[k] = *v;
    return info;
  } catch (const std::exception &) {
    return json::object{};
  }
}

// The gates the review bot has a part in, watching now, with what the bot is told about each.
// Queries the task only for gates not seen before (cache; nullopt: not the bot's).
std::map<std::string, json::object> watching_centaur(
    goalkeeper::Handle &state, std::map<std::string, std::optional<json::object>> &cache) {
  std::map<std::string, json::object> now;
  std::set<std::string> seen;
  json::value status = parse_answer(state.query(R"({"what":"status"})"));
  for (const auto &gv : status.at("goals").as_array()) {
    const json::object &g = gv.as_object();
    const std::string goal(g.at("goal_id").as_string());
    const auto *active = g.if_contains("active");
    if (!active || !active->is_array()) continue;
    for (const auto &av : active->as_array()) {
      const json::object &a = av.as_object();
      const auto *gate = a.if_contains("gate");
      if (!gate || !gate->is_string() ||
          (gate->as_string() != "centaur_review" && gate->as_string() != "compound"))
        continue;
      const std::string ref = goal + "/" + std::string(a.at("task_id").as_string());
      auto it = cache.find(ref);
      if (it == cache.end()) it = cache.emplace(ref, bot_info(state, goal, a.at("task_id"))).first;
      seen.insert(ref);
      if (it->second) now[ref] = *it->second;
    }
  }
  for (auto it = cache.begin(); it != cache.end();)
    it = seen.count(it->first) ? std::next(it) : cache.erase(it);
  return now;
}

}  // namespace

int cmd_serve(const Args &args) {
  auto listen_text = args.get("listen");
  if (!listen_text)
    throw UsageError(
        "serve needs --listen HOST:PORT (e.g. 127.0.0.1:8080; port 0 picks a free port)");
  std::pair<std::string, uint16_t> listen;
  try {
    listen = http::parse_listen(*listen_text);
  } catch (const std::invalid_argument &e) {
    throw UsageError(std::string("--listen: ") + e.what());
  }
  int threads = 2;
  if (auto n = args.get("http-threads"))
    threads = static_cast<int>(parse_count("http-threads", *n, 1));
  http::Limits limits;
  if (auto n = args.get("max-connections"))
    limits.max_connections = static_cast<size_t>(parse_count("max-connections", *n, 1));
  std::string lowered_cap;
  limits.max_connections = connections_within_descriptors(limits.max_connections, &lowered_cap);

  std::signal(SIGPIPE, SIG_IGN);
  install_interrupt_handler();
  // The port first: a port in use fails here, before the state is opened or a goal loaded, so a
  // serve that cannot listen has written nothing.
  http::Server server(listen.first, listen.second, nullptr, limits, threads);
  const std::string file = args.positional.empty() ? std::string() : args.positional[0];
  const std::string text = file.empty() ? std::string() : read_goal_text(file);
  Session s(args, file, text);
  const json::object config = open_config(args, false);
  const std::string token_env =
      config_string(config, "signals", "token_env").value_or("GK_SIGNAL_TOKEN");
  const std::string token = env_or_empty(token_env);

  std::vector<std::string> ids;
  if (!file.empty()) {
    ids = load_goals(s.state, file, text, args);
    start_goals(s.state, ids, args.has("spec"));
  }
  std::set<std::string> ours(ids.begin(), ids.end());
  if (ours.empty())
    if (auto g = args.get("goal")) ours.insert(*g);

  Waker waker;
  CentaurBridgeSettings bridge_settings;
  bridge_settings.bot_url =
      config_string(config, "centaur", "url").value_or("http://127.0.0.1:8642");
  bridge_settings.bot_token =
      env_or_empty(config_string(config, "centaur", "token_env").value_or(""));
  CentaurBridge bridge(bridge_settings,
                       [](const std::string &line) { std::fprintf(stderr, "%s\n", line.c_str()); });

  // The log streams ask the registry whether a job still runs, through an instance of their own
  // (the step loop's is its alone), one question at a time.
  jobs::LocalJobs log_registry(s.layout.registry());
  std::mutex log_registry_mutex;
  ApiOptions api{token, token_env, args.has("verbose")};
  api.work_dir = fs::current_path();
  api.secrets = secret_values(config);
  api.job_alive = [&](const std::string &key) {
    std::lock_guard lock(log_registry_mutex);
    return log_registry.alive(key);
  };
  server.set_handler(make_serve_handler(
      s.state, api, [&waker] { waker.kick(); }, &bridge));
  // The handler uses the state, the waker and the bridge: however serve leaves, the server stops
  // before they go (stop() is idempotent: the graceful stop below makes this one a no-op).
  struct StopFirst {
    http::Server &server;
    ~StopFirst() { server.stop(milliseconds(0)); }
  } stop_first{server};
  std::string base = args.get_or("public-url", "http://" + server.address());
  bridge.set_callback_base(base);
  server.start();
  s.view->note("listening", {{"address", server.address()}, {"port", server.port()}, {"url", base}},
               "listening on " + server.address());
  if (!lowered_cap.empty())
    s.view->note("warning", {{"message", lowered_cap}, {"max_connections", limits.max_connections}},
                 "warning: " + lowered_cap);
  if (token.empty())
    s.view->note("warning", {{"message", "no signal token"}},
                 "warning: " + token_env +
                     " is not set: /api/* answers 503 until serve is started with a token");

  Driver &d = *s.driver;
  std::map<std::string, std::optional<json::object>> centaur_cache;
  std::string last_error;
  {
    JobWatcher watcher(s.jobs, waker);
    auto next_pass = Clock::now();
    auto next_bridge = Clock::now();
    while (!interrupted()) {
      const bool kicked = waker.take_kick();
      auto now = Clock::now();
      if (kicked || now >= next_pass) {
        bool changed = false;
        try {
          changed = d.pass();
          if (!changed && !d.has_running(ours)) {
            bool acted = false;
            d.settle(ours, &acted);
            changed = acted;
          }
          next_pass =
              changed ? Clock::now()
                      : Clock::now() + milliseconds(std::clamp<int64_t>(d.next_step_ms(), 5, 1000));
          if (kicked || changed || now >= next_bridge) {
            bridge.update(watching_centaur(s.state, centaur_cache));
            next_bridge = now + milliseconds(1000);
          }
          last_error.clear();
        } catch (const std::exception &e) {
          if (e.what() != last_error) {
            last_error = e.what();
            s.view->note("error", {{"message", last_error}},
                         "error: " + last_error + " (serve keeps going and tries again)");
          }
          next_pass = Clock::now() + milliseconds(1000);
        }
        waker.passed();
        d.refresh_view();
      }
      auto wake = std::min(next_pass, Clock::now() + milliseconds(100));
      if (Clock::now() < wake) waker.wait_until(wake);
    }
    s.view->note("stopping", {{"in_flight", server.connections()}},
                 "stopping: finishing the requests in flight");
    server.stop(milliseconds(10000));
  }  // the watcher stops here
  bridge.shutdown();
  s.view->close();
  s.view->note("summary", {{"command", "serve"}, {"requests", server.requests()}, {"exit_code", 0}},
               "serve: stopped after " + std::to_string(server.requests()) + " requests");
  return 0;
}

}  // namespace gk::runner
