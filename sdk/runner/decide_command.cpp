// Commands a person (or a bot) uses to decide: approve, reject, signal, pause, resume, stop.
#include <iostream>

#include "commands.hpp"
#include "formats.hpp"
#include "state.hpp"
#include "text_width.hpp"

namespace gk::runner {

namespace json = boost::json;

namespace {

void say(const Args &args, json::object fields, const std::string &text) {
  if (args.has("json"))
    std::cout << json::serialize(fields) << '\n';
  else
    std::cout << shown_lines(text) << '\n';
}

int cmd_signal(const Args &args) {
  auto type = args.get("type");
  auto status = args.get("status");
  if (!type)
    throw UsageError("signal needs --type (gh_ci, gh_review, centaur_review, human_approval)");
  if (!status || (*status != "pass" && *status != "fail"))
    throw UsageError("signal needs --status pass or --status fail");
  json::object sig{{"type", *type}, {"status", *status}};
  if (auto v = args.get("repo")) sig["repo"] = *v;
  if (auto v = args.get("pr")) sig["pr"] = parse_count("pr", *v, 1);
  if (auto v = args.get("pr-url")) sig["pr_url"] = *v;
  if (auto v = args.get("sha")) sig["sha"] = *v;
  if (auto v = args.get("key")) sig["key"] = *v;
  if (auto v = args.get("task")) sig["task_id"] = *v;
  json::object artifacts;
  for (const auto &kv : args.all("artifact")) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError("--artifact needs KEY=VALUE, found '" + kv + "'");
    artifacts[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  if (!artifacts.empty()) sig["artifacts"] = artifacts;
  goalkeeper::Handle state = open_state(args, nullptr, Access::existing);
  json::object result = parse_answer(state.signal(json::serialize(sig))).as_object();
  if (args.has("json")) {
    std::cout << json::serialize(result) << '\n';
  } else {
    std::cout << shown(json_str(result, "message")) << '\n';
    if (const auto *m = result.if_contains("matched"); m && m->is_array())
      for (const auto &t : m->as_array())
        std::cout << "  " << json_str(t.as_object(), "goal_id") << "/"
                  << json_str(t.as_object(), "task_id") << '\n';
  }
  return 0;
}

}  // namespace

int cmd_decide(const Args &args) {
  const std::string &c = args.command;
  if (c == "signal") return cmd_signal(args);
  const std::string target = args.positional.at(0);
  if (c == "approve" || c == "reject") {
    json::object decision{{"decision", c}};
    if (c == "reject") {
      auto feedback = args.get("feedback");
      if (!feedback || feedback->empty())
        throw UsageError("reject needs --feedback TEXT: what the agent should change");
      decision["feedback"] = *feedback;
    }
    goalkeeper::Handle state = open_state(args, nullptr, Access::existing);
    state.review(target, json::serialize(decision));
    say(args, {{"task", target}, {"decision", c}},
        (c == "approve" ? "approved " : "rejected ") + target +
            (c == "reject" ? " (the agent runs again with your feedback)" : ""));
    return 0;
  }
  if (c == "pause" || c == "resume" || c == "stop") {
    goalkeeper::Handle state = open_state(args, nullptr, Access::existing);
    state.control(target, c);
    std::string what =
        c == "pause"    ? "paused " + target + ": running jobs finish, nothing new starts"
        : c == "resume" ? "resumed " + target
                        : "stopped " + target + ": its jobs are cancelled at the next step";
    say(args, {{"goal_id", target}, {"command", c}}, what);
    return 0;
  }
  throw UsageError("unknown command '" + c + "'");
}

}  // namespace gk::runner
