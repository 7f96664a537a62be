// `goalkeeper discover FILE [--once] [--dry-run] [--json] [--trigger ID]`: the front of the
// plugin's discovery. It makes the goals (one per matching pull request) and ends or pauses
// those whose pull request went away; `run`, `step` and `serve` drive them.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

#include "commands.hpp"
#include "formats.hpp"
#include "goal_text.hpp"
#include "state.hpp"
#include "text_width.hpp"

namespace gk::runner {

namespace json = boost::json;

namespace {

// Prints a cycle's answer; false when a trigger's search failed.
bool report(const Args &args, const json::object &result) {
  bool ok = true;
  for (const auto &tv : json_array(result, "triggers")) {
    const json::object &t = tv.as_object();
    const std::string trigger = json_str(t, "trigger");
    for (const auto &av : json_array(t, "actions")) {
      const json::object &a = av.as_object();
      if (args.has("json")) {
        json::object line{{"pr", a.at("pr")},
                          {"action", a.at("action")},
                          {"goal_id", a.at("goal_id")},
                          {"reason", a.contains("reason") ? a.at("reason") : json::value("")},
                          {"trigger", trigger}};
        std::cout << json::serialize(line) << '\n';
        continue;
      }
      std::string text = trigger + ": " + json_str(a, "action") + " " + json_str(a, "pr");
      if (!json_str(a, "goal_id").empty()) text += " -> " + json_str(a, "goal_id");
      if (!json_str(a, "reason").empty()) text += " (" + json_str(a, "reason") + ")";
      std::cout << shown_lines(text) << '\n';
    }
    if (t.contains("error")) {
      ok = false;
      std::cerr << "goalkeeper: discover: trigger " << trigger << ": "
                << shown_lines(json_str(t, "error")) << '\n';
    }
  }
  std::cout.flush();
  return ok;
}

}  // namespace

int cmd_discover(const Args &args) {
  const std::string file = args.positional.at(0);
  const std::string text = read_goal_text(file);
  const bool dry_run = args.has("dry-run");
  json::object options{{"time_budget_ms", 30'000}};
  if (auto t = args.get("trigger")) options["trigger"] = *t;
  if (dry_run) options["dry_run"] = true;

  auto triggers_of = [&](goalkeeper::Handle &state) {
    json::object loaded = parse_answer(state.load(text, file)).as_object();
    if (json_array(loaded, "triggers").empty())
      throw UsageError(file + " declares no triggers: nothing to discover (see docs/shepherd.md)");
  };
  if (dry_run) {
    // Changes nothing anywhere: the file goes into a state in memory, so what it would do is
    // said against no goals at all, unless a state exists, which is then only read.
    const json::object config = open_config(args, false);
    std::error_code ec;
    if (!std::filesystem::exists(state_path_of(config), ec)) {
      goalkeeper::Handle memory = open_state(args, nullptr, Access::in_memory);
      triggers_of(memory);
      options["force"] = true;
      return report(args, parse_answer(memory.discover(json::serialize(options))).as_object()) ? 0
                                                                                               : 2;
    }
    goalkeeper::Handle memory = open_state(args, nullptr, Access::in_memory);
    triggers_of(memory);  // the file is checked, even though the state's triggers are used
    goalkeeper::Handle state = open_state(args, nullptr, Access::read_only);
    options["force"] = true;
    return report(args, parse_answer(state.discover(json::serialize(options))).as_object()) ? 0 : 2;
  }
  check_before_writing(args, file, text);
  goalkeeper::Handle state = open_state(args);
  triggers_of(state);
  options["force"] = true;
  bool ok = report(args, parse_answer(state.discover(json::serialize(options))).as_object());
  if (args.has("once")) return ok ? 0 : 2;
  install_interrupt_handler();
  options.erase("force");
  while (!interrupted()) {
    // The plugin keeps each trigger's schedule (every:); asking early is harmless.
    for (int i = 0; i < 10 && !interrupted(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (interrupted()) break;
    report(args, parse_answer(state.discover(json::serialize(options))).as_object());
  }
  return 0;
}

}  // namespace gk::runner
