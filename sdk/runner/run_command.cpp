// `goalkeeper run` (the step loop until goals finish or wait on a person) and `goalkeeper step`
// (one pass, for CI hosts that call goalkeeper once per pipeline step).
#include <algorithm>
#include <iostream>

#include "commands.hpp"
#include "driver.hpp"
#include "formats.hpp"
#include "goal_text.hpp"
#include "session.hpp"
#include "state.hpp"

namespace gk::runner {

namespace json = boost::json;
namespace fs = std::filesystem;

// Loads the goal file and returns the ids of its goals (or only --goal, which must be one).
std::vector<std::string> load_goals(goalkeeper::Handle &state, const std::string &file,
                                    const Args &args) {
  return load_goals(state, file, read_goal_text(file), args);
}

std::vector<std::string> load_goals(goalkeeper::Handle &state, const std::string &file,
                                    const std::string &text, const Args &args) {
  json::value result = parse_answer(state.load(text, file));
  std::vector<std::string> ids;
  for (const auto &g : result.at("goals").as_array()) ids.emplace_back(g.at("goal_id").as_string());
  // Goals made earlier from the file's templates (instantiate, discovery) are the file's too.
  if (const json::value *made = result.as_object().if_contains("instances")) {
    for (const auto &id : made->as_array()) ids.emplace_back(id.as_string());
  }
  if (auto only = args.get("goal")) {
    if (std::find(ids.begin(), ids.end(), *only) == ids.end()) {
      std::string names;
      for (const auto &id : ids) names += (names.empty() ? "" : ", ") + id;
      throw UsageError("--goal " + *only + ": " + file + " has no such goal (it has " + names +
                       ")");
    }
    ids = {*only};
  }
  return ids;
}

void start_goals(goalkeeper::Handle &state, const std::vector<std::string> &ids, bool spec) {
  for (const auto &id : ids) state.start(id, spec ? R"({"spec":true})" : "");
}

std::vector<std::string> discover_at_start(goalkeeper::Handle &state, const std::string &file,
                                           const std::string &text) {
  json::object loaded = parse_answer(state.load(text, file)).as_object();
  std::vector<std::string> ids;
  for (const auto &t : json_array(loaded, "triggers")) {
    json::object options{{"trigger", t}, {"force", true}, {"time_budget_ms", 30'000}};
    json::object r = parse_answer(state.discover(json::serialize(options))).as_object();
    for (const auto &cv : json_array(r, "triggers")) {
      const json::object &c = cv.as_object();
      if (c.contains("error"))
        std::cerr << "goalkeeper: discover: trigger " << json_str(c, "trigger") << ": "
                  << json_str(c, "error") << '\n';
      for (const auto &a : json_array(c, "actions")) {
        const std::string what = json_str(a.as_object(), "action");
        if (what == "create" || what == "exists" || what == "resume")
          ids.push_back(json_str(a.as_object(), "goal_id"));
      }
    }
  }
  return ids;
}

namespace {

int exit_status(const std::map<std::string, GoalOutcome> &outcomes) {
  bool failed = false, waiting = false;
  for (const auto &[id, o] : outcomes) {
    failed |= o == GoalOutcome::failed;
    waiting |= o == GoalOutcome::waiting || o == GoalOutcome::working;
  }
  return failed ? 1 : waiting ? 3 : 0;
}

const char *outcome_name(GoalOutcome o) {
  switch (o) {
    case GoalOutcome::done:
      return "done";
    case GoalOutcome::failed:
      return "failed";
    case GoalOutcome::waiting:
      return "waiting";
    case GoalOutcome::working:
      return "working";
    case GoalOutcome::closed:
      return "closed";
  }
  return "?";
}

void summary(View &view, const std::map<std::string, GoalOutcome> &outcomes, int code,
             const std::string &command) {
  json::object goals;
  std::string text;
  for (const auto &[id, o] : outcomes) {
    goals[id] = outcome_name(o);
    text += (text.empty() ? "" : ", ") + id + " " + outcome_name(o);
  }
  view.note("summary", {{"command", command}, {"goals", std::move(goals)}, {"exit_code", code}},
            command + ": " + (text.empty() ? "no goals" : text));
}

}  // namespace

// Options are checked before the files they come with are read.
void check_options(const Args &args) {
  if (auto n = args.get("jobs")) parse_count("jobs", *n, 1);
}

int cmd_run(const Args &args) {
  install_interrupt_handler();
  check_options(args);
  const std::string file = args.positional.at(0);
  const std::string text = read_goal_text(file);
  Session s(args, file, text);
  const bool spec = args.has("spec");
  std::vector<std::string> ids = load_goals(s.state, file, text, args);
  start_goals(s.state, ids, spec);
  std::set<std::string> ours(ids.begin(), ids.end());
  if (!args.get("goal"))
    for (const std::string &id : discover_at_start(s.state, file, text)) ours.insert(id);
  Driver &d = *s.driver;

  std::map<std::string, GoalOutcome> outcomes;
  while (!interrupted()) {
    bool changed = d.pass();
    if (!changed && !d.has_running(ours)) {
      bool acted = false;
      outcomes = d.settle(ours, &acted);
      if (acted) continue;
      bool all_settled = std::all_of(outcomes.begin(), outcomes.end(), [](const auto &kv) {
        return kv.second != GoalOutcome::working;
      });
      if (all_settled) break;
    }
    d.refresh_view();
    if (!changed) {
      int64_t wait = std::clamp<int64_t>(d.next_step_ms(), 5, 200);
      s.jobs.wait_any(wait);
    }
  }
  s.view->close();
  if (interrupted()) {
    auto running = s.jobs.running();
    s.view->note("interrupted", {{"running", running.size()}},
                 "interrupted: " + std::to_string(running.size()) +
                     " jobs keep running; run the same command again to resume (no job runs "
                     "twice), or stop a goal with `goalkeeper stop GOAL`");
    return 130;
  }
  int code = exit_status(outcomes);
  summary(*s.view, outcomes, code, "run");
  return code;
}

int cmd_step(const Args &args) {
  check_options(args);
  const std::string file = args.positional.empty() ? std::string() : args.positional[0];
  const std::string text = file.empty() ? std::string() : read_goal_text(file);
  Session s(args, file, text);
  std::set<std::string> ours;
  if (!file.empty()) {
    std::vector<std::string> ids = load_goals(s.state, file, text, args);
    start_goals(s.state, ids, args.has("spec"));
    ours.insert(ids.begin(), ids.end());
  } else if (auto g = args.get("goal")) {
    ours.insert(*g);
  }
  Driver &d = *s.driver;
  d.pass();
  bool acted = false;
  auto outcomes = d.settle(ours, &acted);
  s.view->close();
  // A goal still working is fine for a step: the CI host calls again.
  bool failed = false, waiting = false;
  for (const auto &[id, o] : outcomes) {
    failed |= o == GoalOutcome::failed;
    waiting |= o == GoalOutcome::waiting;
  }
  int code = failed ? 1 : waiting && !acted ? 3 : 0;
  summary(*s.view, outcomes, code, "step");
  return code;
}

}  // namespace gk::runner
