// The command as a host protocol, for CI systems that start their own child jobs (Jenkins'
// `build`, GitLab's child pipelines): `step --no-start` makes one gk_step and prints its actions,
// starting nothing, and `job started|start-failed|finished|heartbeat KEY` reports what the CI did
// with a job, through gk_job_event on the same state. No local job registry is involved: the
// plugin judges the CI's jobs by their heartbeat lease (limits.lease_s), never by this machine.
#include <filesystem>
#include <iostream>
#include <set>

#include "commands.hpp"
#include "formats.hpp"
#include "goal_outcome.hpp"
#include "goal_text.hpp"
#include "session.hpp"
#include "state.hpp"
#include "text_width.hpp"

namespace gk::runner {

namespace json = boost::json;

namespace {

std::string argv_line(const json::object &action) {
  std::string line;
  for (const auto &arg : json_array(action, "command")) {
    if (!line.empty()) line += ' ';
    line += arg.is_string() ? std::string(arg.as_string()) : json::serialize(arg);
  }
  return line;
}

// One line per action, for people reading a CI log.
void print_action(const json::object &a) {
  const std::string type = json_str(a, "type");
  if (type == "run_job") {
    std::string where = "spawn";
    if (const auto *s = a.if_contains("session"); s && s->is_object())
      where = json_str(s->as_object(), "policy");
    std::cout << "run_job       " << shown(json_str(a, "job_key")) << "  " << where << "  "
              << shown(argv_line(a)) << '\n';
  } else if (type == "cancel_job") {
    std::cout << "cancel_job    " << shown(json_str(a, "job_key")) << "  "
              << shown(json_str(a, "reason")) << '\n';
  } else if (type == "await_review") {
    std::cout << "await_review  " << shown(json_str(a, "goal_id")) << '/'
              << shown(json_str(a, "task_id")) << "  " << shown(json_str(a, "title")) << '\n';
  } else if (type == "goal_finished") {
    std::cout << "goal_finished " << shown(json_str(a, "goal_id")) << "  " << json_str(a, "status")
              << '\n';
  } else {
    std::cout << shown(type) << '\n';
  }
}

}  // namespace

int cmd_step_no_start(const Args &args) {
  if (args.has("auto-approve"))
    throw UsageError(
        "--auto-approve does not go with --no-start: the host decides reviews (goalkeeper "
        "approve TASK)");
  const std::string file = args.positional.empty() ? std::string() : args.positional[0];
  const std::string text = file.empty() ? std::string() : read_goal_text(file);
  check_before_writing(args, file, text);
  goalkeeper::Handle state = open_state(args, nullptr, Access::create);
  std::set<std::string> ours;
  if (!file.empty()) {
    std::vector<std::string> ids = load_goals(state, file, text, args);
    start_goals(state, ids, args.has("spec"));
    ours.insert(ids.begin(), ids.end());
  } else if (auto g = args.get("goal")) {
    ours.insert(*g);
  }
  json::object input;
  if (auto g = args.get("goal")) input["goal_id"] = *g;
  if (auto n = args.get("jobs")) input["capacity"] = parse_count("jobs", *n, 0);
  const std::string answer = state.step(json::serialize(input));
  const json::object step = parse_answer(answer).as_object();

  bool offered = false;
  for (const auto &v : json_array(step, "actions")) {
    const std::string type = json_str(v.as_object(), "type");
    offered |= type == "run_job" || type == "cancel_job";
  }
  if (args.has("json")) {
    std::cout << answer << '\n';  // the plugin's own answer, as goalkeeper.h documents it
  } else {
    for (const auto &v : json_array(step, "actions")) print_action(v.as_object());
  }

  // The exit status of `step`: 1 a goal failed, 3 nothing to start and a person is needed.
  const json::object status = parse_answer(state.query(R"({"what":"status"})")).as_object();
  bool failed = false, waiting = false;
  for (const auto &gv : json_array(status, "goals")) {
    const json::object &g = gv.as_object();
    if (!ours.empty() ? !ours.count(json_str(g, "goal_id")) : json_str(g, "state") == "loaded")
      continue;
    std::vector<std::string> human_gates;
    const GoalOutcome o = goal_outcome(g, human_gates);
    failed |= o == GoalOutcome::failed;
    waiting |= o == GoalOutcome::waiting;
  }
  return failed ? 1 : waiting && !offered ? 3 : 0;
}

int cmd_job(const Args &args) {
  const std::string &what = args.positional.at(0);
  const std::string &key = args.positional.at(1);
  auto only_with = [&](const char *option, const char *event) {
    if (args.has(option) && what != event)
      throw UsageError(std::string("--") + option + " goes with `job " + event + "`, not `job " +
                       what + "`");
  };
  only_with("host-ref", "started");
  only_with("reason", "start-failed");
  only_with("exit-code", "finished");
  only_with("result-file", "finished");
  json::object event;
  if (what == "started") {
    event["type"] = "started";
    if (auto ref = args.get("host-ref")) event["host_ref"] = *ref;
  } else if (what == "start-failed") {
    auto reason = args.get("reason");
    if (!reason || reason->empty())
      throw UsageError("job start-failed needs --reason TEXT: why the job could not start");
    event["type"] = "start_failed";
    event["reason"] = *reason;
  } else if (what == "finished") {
    auto code = args.get("exit-code");
    if (!code) throw UsageError("job finished needs --exit-code N: the job's exit status");
    event["type"] = "finished";
    event["exit_code"] = parse_count("exit-code", *code, 0);
    if (auto file = args.get("result-file"))
      event["result_file"] = std::filesystem::absolute(*file).string();
  } else if (what == "heartbeat") {
    event["type"] = "heartbeat";
  } else {
    throw UsageError("unknown job report '" + what +
                     "' (expected started, start-failed, finished or heartbeat)");
  }
  goalkeeper::Handle state = open_state(args, nullptr, Access::existing);
  state.job_event(key, json::serialize(event));
  if (args.has("json"))
    std::cout << json::serialize(json::object{{"job_key", key}, {"event", event.at("type")}})
              << '\n';
  else
    std::cout << "reported " << what << " for " << shown(key) << '\n';
  return 0;
}

}  // namespace gk::runner
