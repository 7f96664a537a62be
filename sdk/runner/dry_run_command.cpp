// `goalkeeper run FILE --dry-run`: the goals are loaded, discovered and stepped as `run` would,
// but no job starts and the plugin sends no mutation (config dry_run): each step's decisions are
// said instead ("would run", "would merge acme/shop#11 (squash) at <sha>"). The state records
// what the plugin decided (goals, gate polls), as it would for a real run; GitHub and the
// workspace are not touched.
#include <chrono>
#include <iostream>
#include <set>
#include <thread>

#include "commands.hpp"
#include "formats.hpp"
#include "goal_text.hpp"
#include "session.hpp"
#include "state.hpp"
#include "text_width.hpp"

namespace gk::runner {

namespace json = boost::json;

int cmd_run_dry(const Args &args) {
  install_interrupt_handler();
  const std::string file = args.positional.at(0);
  const std::string text = read_goal_text(file);
  check_before_writing(args, file, text);
  goalkeeper::Handle state = open_state(args);
  std::vector<std::string> ids = load_goals(state, file, text, args);
  start_goals(state, ids, args.has("spec"));
  if (!args.get("goal"))
    for (const std::string &id : discover_at_start(state, file, text)) ids.push_back(id);
  std::set<std::string> said;
  auto say = [&](const std::string &line) {
    if (!said.insert(line).second) return false;
    std::cout << shown_lines(line) << '\n' << std::flush;
    return true;
  };
  int64_t after = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  // A few steps: enough for gate polls to answer and merges to be described, bounded in time.
  for (int quiet = 0; quiet < 3 && !interrupted() && std::chrono::steady_clock::now() < until;) {
    json::object s = parse_answer(state.step(R"({"time_budget_ms":5000})")).as_object();
    bool news = false;
    for (const auto &av : json_array(s, "actions")) {
      const json::object &a = av.as_object();
      const std::string type = json_str(a, "type");
      if (type == "run_job") {
        std::string argv;
        for (const auto &w : json_array(a, "command")) argv += " " + std::string(w.as_string());
        news |= say("would run " + json_str(a, "job_key") + ":" + argv);
      } else if (type == "await_review") {
        news |= say("would wait for a person: " + json_str(a, "goal_id") + "/" +
                    json_str(a, "task_id") + " (" + json_str(a, "kind") + ")");
      } else if (type == "goal_finished") {
        news |= say("goal " + json_str(a, "goal_id") + " " + json_str(a, "status"));
      }
    }
    json::object ev = parse_answer(state.query(json::serialize(json::object{
                                       {"what", "events"}, {"after", after}, {"limit", 1000}})))
                          .as_object();
    for (const auto &e : json_array(ev, "events")) {
      after = std::max<int64_t>(after, e.at("id").to_number<int64_t>());
      const json::object &data = e.at("data").as_object();
      const std::string reason = json_str(data, "reason");
      if (reason.rfind("would ", 0) == 0) news |= say(reason);
    }
    quiet = news ? 0 : quiet + 1;
    const int64_t wait = std::clamp<int64_t>(s.at("next_step_ms").to_number<int64_t>(), 50, 300);
    std::this_thread::sleep_for(std::chrono::milliseconds(wait));
  }
  std::cout << "run --dry-run: " << ids.size() << (ids.size() == 1 ? " goal" : " goals")
            << ", nothing started, nothing sent\n";
  return 0;
}

}  // namespace gk::runner
