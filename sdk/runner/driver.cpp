// The step loop's moving parts: reporting ends, starting jobs, cancelling, reviews.
#include "driver.hpp"

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "formats.hpp"
#include "plugin_locator.hpp"
#include "relative_command.hpp"
#include "state.hpp"
#include "text_width.hpp"

namespace gk::runner {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

std::string str(const json::object &o, const char *key) {
  const json::value *v = o.if_contains(key);
  if (v == nullptr) return {};
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_int64()) return std::to_string(v->as_int64());
  return {};
}

int64_t num(const json::object &o, const char *key, int64_t fallback = 0) {
  const json::value *v = o.if_contains(key);
  if (v == nullptr) return fallback;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  if (v->is_double()) return static_cast<int64_t>(v->as_double());
  return fallback;
}

// "hello/review" for a task, "hello" for the goal's own plan.
std::string review_ref(const std::string &goal, const std::string &task) {
  return task.empty() || task == goal ? goal : goal + "/" + task;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// HostBridge

HostBridge::HostBridge(jobs::LocalJobs &jobs, const Layout &layout, bool verbose)
    : jobs_(jobs), layout_(layout) {
  host_ = gk_host{sizeof(gk_host), this, verbose ? &HostBridge::log : nullptr, nullptr,
                  &HostBridge::job_alive};
}

std::vector<jobs::JobEnd> HostBridge::take_stash() {
  std::lock_guard lock(mutex_);
  return std::exchange(stash_, {});
}

int HostBridge::job_alive(void *ctx, const char *job_key) {
  auto *self = static_cast<HostBridge *>(ctx);
  const std::string key = job_key;
  std::lock_guard lock(self->mutex_);
  int r = self->jobs_.alive(key);
  if (r != 0 || self->reported_.count(key)) return r;
  // It ended, but its end may not be reported yet (it ended after this pass reaped): then it
  // is not lost, its result is on the way.
  for (auto &end : self->jobs_.reap()) self->stash_.push_back(std::move(end));
  for (const auto &end : self->stash_)
    if (end.job_key == key) return 1;
  return 0;
}

void HostBridge::log(void *, int level, const char *message) {
  static const char *names[] = {"error", "warn", "info", "debug"};
  const char *name = level >= 0 && level <= 3 ? names[level] : "log";
  std::cerr << "goalkeeper plugin " << name << ": " << message << '\n';
}

// ---------------------------------------------------------------------------------------------
// Driver

Driver::Driver(goalkeeper::Handle &state, jobs::LocalJobs &jobs, HostBridge &bridge,
               Workspaces &workspaces, const Layout &layout, View &view, DriverOptions options)
    : state_(state),
      jobs_(jobs),
      bridge_(bridge),
      workspaces_(workspaces),
      layout_(layout),
      view_(view),
      options_(std::move(options)),
      plugin_path_(std::filesystem::absolute(state.plugin().path()).string()),
      exe_dir_(executable_path().parent_path().string()) {}

bool Driver::in_scope(const std::string &goal_id) const {
  return !options_.goal || *options_.goal == goal_id;
}

bool Driver::job_event(const std::string &key, const json::object &event) {
  try {
    state_.job_event(key, json::serialize(event));
    changed_ = true;
    return true;
  } catch (const goalkeeper::Error &e) {
    if (e.status() == GK_ERR_BUSY) {
      retry_.emplace_back(key, event);
      return false;
    }
    view_.note("error", {{"job_key", key}, {"message", e.what()}},
               "error: reporting " + key + ": " + e.what());
    return true;  // nothing will make it succeed later
  }
}

void Driver::report_end(const jobs::JobEnd &end) {
  const std::string &key = end.job_key;
  json::object ev{{"type", "finished"}, {"exit_code", end.exit_code}};
  std::string result_file;
  try {
    result_file = layout_.result_file(key).string();
  } catch (const std::exception &) {
  }
  if (end.timed_out || end.cancelled) {
    std::string why = !end.reason.empty() ? end.reason
                      : end.timed_out     ? std::string("timed out")
                                          : std::string("cancelled");
    ev["result"] = json::object{{"status", "failed"}, {"summary", why}};
  } else if (!result_file.empty()) {
    ev["result_file"] = result_file;
  }
  running_.erase(key);
  ++ended_count_;
  bool ok = end.exit_code == 0 && !end.timed_out && !end.cancelled;
  std::string text =
      (ok ? "finished " : "failed   ") + key + " (exit " + std::to_string(end.exit_code) + ")";
  if (end.timed_out || end.cancelled)
    text += ": " + std::string(ev.at("result").at("summary").as_string());
  view_.note(ok ? "finished" : "failed",
             {{"job_key", key},
              {"exit_code", end.exit_code},
              {"timed_out", end.timed_out},
              {"cancelled", end.cancelled}},
             text);
  if (job_event(key, ev)) {
    bridge_.mark_reported(key);
    jobs_.acknowledge(key);
  }
}

void Driver::report_pending() {
  auto retry = std::exchange(retry_, {});
  for (auto &[key, ev] : retry)
    if (job_event(key, ev) && str(ev, "type") == "finished") {
      bridge_.mark_reported(key);
      jobs_.acknowledge(key);
    }
  for (const auto &end : bridge_.take_stash()) report_end(end);
  for (const auto &end : jobs_.reap()) report_end(end);
}

bool Driver::pass() {
  changed_ = false;
  report_pending();

  json::object input;
  if (options_.goal) input["goal_id"] = *options_.goal;
  if (options_.max_jobs > 0) {
    auto running = static_cast<long long>(jobs_.running().size());
    input["capacity"] = std::max(0LL, options_.max_jobs - running);
  }
  json::value out;
  try {
    out = parse_answer(state_.step(json::serialize(input)));
  } catch (const goalkeeper::Error &e) {
    if (e.status() != GK_ERR_BUSY) throw;
    next_step_ms_ = 50;
    return changed_;
  }
  // Ends reaped inside job_alive during the step are reported now.
  for (const auto &end : bridge_.take_stash()) report_end(end);

  const json::object &o = out.as_object();
  next_step_ms_ = num(o, "next_step_ms", 1000);
  for (const auto &g : json_array(o, "goals")) {
    const json::object &go = g.as_object();
    GoalLine line{str(go, "goal_id"), str(go, "state"), str(go, "status")};
    if (const auto *p = go.if_contains("progress"); p && p->is_object()) {
      line.done = num(p->as_object(), "done");
      line.total = num(p->as_object(), "total");
    }
    goals_[line.goal_id] = line;
  }
  for (const auto &v : json_array(o, "actions")) {
    const json::object &a = v.as_object();
    const std::string type = str(a, "type");
    if (type == "run_job") {
      run_job(a);
    } else if (type == "cancel_job") {
      cancel_job(a);
    } else if (type == "await_review") {
      await_review(a);
    } else if (type == "goal_finished") {
      goal_finished(a);
    }
  }
  return changed_;
}

void Driver::run_job(const json::object &a) {
  const std::string key = str(a, "job_key");
  const std::string goal = str(a, "goal_id");
  const std::string task = str(a, "task_id");
  const std::string title = str(a, "title");
  const json::object session = a.contains("session") && a.at("session").is_object()
                                   ? a.at("session").as_object()
                                   : json::object{};
  const bool pinned = str(session, "workspace") == "pinned";

  jobs::JobSpec spec;
  spec.job_key = key;
  for (const auto &arg : json_array(a, "command"))
    if (arg.is_string()) spec.argv.emplace_back(arg.as_string());
  spec.timeout_s = num(a, "timeout_s", 0);
  spec.workdir = workspaces_.main_dir();

  auto start_failed = [&](const std::string &reason) {
    view_.note("start_failed", {{"job_key", key}, {"reason", reason}},
               "cannot start " + key + ": " + reason);
    job_event(key, {{"type", "start_failed"}, {"reason", reason}});
  };

  // Another runner of this folder may be starting the same key right now (runners that share a
  // state are all offered it): only the one holding the reservation prepares and starts it.
  std::optional<jobs::StartReservation> reservation;
  try {
    reservation = jobs_.reserve(key);
  } catch (const std::exception &e) {
    return start_failed(e.what());
  }
  if (!reservation) return;  // the other one reports it started; the next pass sees that

  const bool known = jobs_.alive(key) != -1;  // started before a crash, or by another runner
  if (!known) {
    if (spec.argv.empty()) return start_failed("the task has no command (set `run:`)");
    try {
      std::filesystem::path log = layout_.log_file(key);
      std::filesystem::create_directories(log.parent_path());
      spec.log_path = log;
      WorkspaceRequest req{
          goal, task, key, str(session, "id"), static_cast<int>(num(a, "attempt", 1)), pinned};
      spec.workdir = workspaces_.prepare(req);
      spec.argv[0] = locate_command(spec.argv[0], spec.workdir, goal_dir(goal));
      const auto prompt = layout_.prompt_file(key);
      const auto result = layout_.result_file(key);
      write_file(prompt, str(a, "prompt"));
      std::filesystem::create_directories(result.parent_path());
      std::filesystem::remove(result);
      if (const auto *env = a.if_contains("env"); env && env->is_object())
        for (const auto &kv : env->as_object())
          if (kv.value().is_string()) spec.env[kv.key()] = std::string(kv.value().as_string());
      spec.env["GK_PROMPT_FILE"] = prompt.string();
      spec.env["GK_RESULT_FILE"] = result.string();
      spec.env["GK_WORKSPACE"] = spec.workdir.string();
      spec.env["GK_STATE"] = options_.state_path;
      if (!exe_dir_.empty()) {
        const char *path = std::getenv("PATH");
        spec.env["PATH"] = exe_dir_ + (path && *path ? ":" + std::string(path) : "");
      }
      if (!spec.env.count("GOALKEEPER_PLUGIN")) spec.env["GOALKEEPER_PLUGIN"] = plugin_path_;
    } catch (const std::exception &e) {
      return start_failed(e.what());
    }
  } else {
    spec.log_path = layout_.log_file(key);
  }
  bool attached = known;
  try {
    attached = jobs_.start(spec) == jobs::StartResult::already_known;
  } catch (const std::exception &e) {
    return start_failed(e.what());
  }
  running_[key] = JobLine{key, shown(title), attached ? since(key) : Clock::now()};
  ++started_count_;
  std::string where = pinned ? "pinned" : spec.workdir.string();
  view_.note("started",
             {{"job_key", key},
              {"title", title},
              {"session", pinned ? "pinned" : "spawned"},
              {"workspace", spec.workdir.string()},
              {"reattached", attached}},
             (attached ? "attached " : "started  ") + key + "  " + shown(title) +
                 (pinned ? "" : "  [" + where + "]"));
  job_event(key, {{"type", "started"}});
}

// The folder of the file a goal was loaded from (its "source"), where relative commands are
// looked for after the session's workspace; empty when it was not loaded from a file.
fs::path Driver::goal_dir(const std::string &goal) {
  auto it = goal_dirs_.find(goal);
  if (it != goal_dirs_.end()) return it->second;
  fs::path dir;
  try {
    json::value status = parse_answer(
        state_.query(json::serialize(json::object{{"what", "status"}, {"goal_id", goal}})));
    const auto &goals = json_array(status.as_object(), "goals");
    const std::string source = goals.empty() ? "" : str(goals[0].as_object(), "source");
    if (!source.empty() && source.front() != '<')
      dir = fs::absolute(source).parent_path().lexically_normal();
  } catch (const std::exception &) {
  }
  return goal_dirs_[goal] = dir;
}

// When a job this runner did not start (it re-attached to it) began, on our clock: its elapsed
// time counts from its start, not from the re-attach.
Clock::time_point Driver::since(const std::string &key) const {
  const auto started = jobs_.started_ms(key);
  if (!started) return Clock::now();
  const auto wall_now = std::chrono::system_clock::now().time_since_epoch();
  const auto ago =
      std::chrono::duration_cast<Clock::duration>(wall_now - std::chrono::milliseconds(*started));
  return Clock::now() - std::max(ago, Clock::duration::zero());
}

void Driver::cancel_job(const json::object &a) {
  const std::string key = str(a, "job_key");
  const std::string reason = str(a, "reason");
  if (cancelled_.count(key)) return;
  cancelled_.insert(key);
  int alive = jobs_.alive(key);
  if (alive == 1) {
    view_.note("cancel", {{"job_key", key}, {"reason", reason}}, "cancel   " + key + ": " + reason);
    jobs_.cancel(key, reason);
    changed_ = true;
  } else if (alive == -1) {
    // Never started here: tell the plugin it is over, or it keeps asking.
    job_event(key, {{"type", "finished"},
                    {"exit_code", -1},
                    {"result", {{"status", "failed"}, {"summary", "cancelled: " + reason}}}});
    bridge_.mark_reported(key);
  }
  // alive == 0: it ended; the next reap reports it.
}

void Driver::await_review(const json::object &a) {
  const std::string goal = str(a, "goal_id");
  const std::string task = str(a, "task_id");
  const std::string ref = review_ref(goal, task);
  const std::string kind = str(a, "kind");
  if (options_.auto_approve) {
    state_.review(ref, R"({"decision":"approve"})");
    changed_ = true;
    view_.note("approved", {{"task", ref}, {"kind", kind}, {"auto", true}},
               "approved " + ref + " (--auto-approve)");
    return;
  }
  announced_.insert(ref);
  view_.note("review", {{"task", ref}, {"kind", kind}, {"title", str(a, "title")}},
             "review   " + ref + " (" + kind + "): " + shown(str(a, "title")) +
                 "\n         goalkeeper approve " + ref + "   or   goalkeeper reject " + ref +
                 " --feedback TEXT");
}

void Driver::goal_finished(const json::object &a) {
  const std::string goal = str(a, "goal_id");
  const std::string status = str(a, "status");
  goals_[goal].goal_id = goal;
  goals_[goal].state = "finished";
  goals_[goal].status = status;
  if (goals_[goal].total > 0 && status == "done") goals_[goal].done = goals_[goal].total;
  std::string cleanup;
  if (status == "done") cleanup = workspaces_.remove_goal(goal);
  // Where a failed goal's sessions worked, when it had any: kept to look at.
  std::string kept;
  std::error_code ec;
  for (const fs::path &dir : {layout_.worktrees() / goal, layout_.sessions() / goal})
    if (status == "failed" && kept.empty() && fs::is_directory(dir, ec) && !fs::is_empty(dir, ec))
      kept = " (its sessions' folders are kept in " +
             fs::relative(dir, layout_.root.parent_path(), ec).string() + ")";
  view_.note(status == "failed" ? "goal_failed" : "goal_done",
             {{"goal_id", goal}, {"status", status}}, "goal " + goal + " " + status + kept);
  if (!cleanup.empty()) view_.note("warning", {{"message", cleanup}}, "warning: " + cleanup);
}

bool Driver::has_running(const std::set<std::string> &goals) const {
  for (const auto &key : jobs_.running())
    if (goals.empty() || goals.count(key_goal(key))) return true;
  return false;
}

std::map<std::string, GoalOutcome> Driver::settle(const std::set<std::string> &goals, bool *acted) {
  *acted = false;
  std::map<std::string, GoalOutcome> out;
  json::value status = parse_answer(state_.query(R"({"what":"status"})"));
  for (const auto &gv : json_array(status.as_object(), "goals")) {
    const json::object &g = gv.as_object();
    const std::string id = str(g, "goal_id");
    if (!goals.empty() ? !goals.count(id) : !in_scope(id)) continue;
    const std::string state = str(g, "state");
    const std::string st = str(g, "status");
    if (state == "loaded") continue;  // never started: not ours to wait for
    std::vector<std::string> human_gates;
    const GoalOutcome outcome = goal_outcome(g, human_gates);
    if (state == "finished") {
      out[id] = outcome;
      std::error_code ec;
      if (st == "done" && std::filesystem::exists(layout_.worktrees() / id, ec)) {
        std::string problems = workspaces_.remove_goal(id);
        if (!problems.empty())
          view_.note("warning", {{"message", problems}}, "warning: " + problems);
      }
      continue;
    }
    const auto &reviews = json_array(g, "pending_review");
    const auto &blocked = json_array(g, "blocked");
    if (options_.auto_approve && (!reviews.empty() || !human_gates.empty())) {
      for (const auto &rv : reviews) {
        std::string ref = review_ref(id, str(rv.as_object(), "task_id"));
        try {
          state_.review(ref, R"({"decision":"approve"})");
          view_.note("approved", {{"task", ref}, {"auto", true}},
                     "approved " + ref + " (--auto-approve)");
          *acted = true;
        } catch (const goalkeeper::Error &) {
        }
      }
      for (const auto &t : human_gates) {
        state_.signal(json::serialize(json::object{
            {"type", "human_approval"}, {"task_id", id + "/" + t}, {"status", "pass"}}));
        view_.note("approved", {{"task", id + "/" + t}, {"auto", true}},
                   "approved " + id + "/" + t + " (--auto-approve)");
        *acted = true;
      }
      if (*acted) {
        out[id] = GoalOutcome::working;
        continue;
      }
    }
    out[id] = outcome;
    if (outcome != GoalOutcome::waiting) continue;
    auto announce = [&](const std::string &what, const std::string &text) {
      if (announced_.insert(what).second)
        view_.note("waiting", {{"goal_id", id}, {"what", what}}, text);
    };
    for (const auto &rv : reviews) {
      std::string ref = review_ref(id, str(rv.as_object(), "task_id"));
      announce(ref, "waiting  " + ref + " awaits a review: goalkeeper approve " + ref +
                        "  |  goalkeeper reject " + ref + " --feedback TEXT");
    }
    for (const auto &bv : blocked) {
      std::string ref = id + "/" + str(bv.as_object(), "task_id");
      announce(ref + "#blocked", "blocked  " + ref + ": " + shown(str(bv.as_object(), "reason")) +
                                     "  (fix it, then: goalkeeper resume " + id + ")");
    }
    for (const auto &t : human_gates)
      announce(id + "/" + t, "waiting  " + id + "/" + t +
                                 " awaits approval: goalkeeper signal --type human_approval "
                                 "--task " +
                                 id + "/" + t + " --status pass");
    // A plan that awaits approval pauses its goal; the way on is a review (announced above).
    if ((state == "paused" || state == "stopped") && str(g, "spec") != "awaiting_approval")
      announce(id + "#" + state, "goal " + id + " is " + state + ": goalkeeper resume " + id);
  }
  return out;
}

void Driver::refresh_view() {
  if (!view_.due()) return;
  const std::vector<std::string> keys = jobs_.running();
  const std::set<std::string> live(keys.begin(), keys.end());
  // A job whose end another runner of the folder reported is not ours to report: it goes.
  std::erase_if(running_, [&](const auto &kv) { return !live.count(kv.first); });
  for (const auto &key : keys)
    if (!running_.count(key) && in_scope(key_goal(key)))
      running_[key] = JobLine{key, "", since(key)};
  std::vector<JobLine> jobs;
  for (const auto &[key, line] : running_) jobs.push_back(line);
  std::vector<GoalLine> goals;
  for (const auto &[id, line] : goals_)
    if (in_scope(id)) goals.push_back(line);
  view_.refresh(goals, jobs);
}

}  // namespace gk::runner
