// Read-only commands: `status`, `events` and `logs`.
#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include <unistd.h>

#include "commands.hpp"
#include "formats.hpp"
#include "jobs/local_jobs.hpp"
#include "layout.hpp"
#include "state.hpp"
#include "view.hpp"

namespace gk::runner {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool color_out() {
  return ::isatty(STDOUT_FILENO) && use_color();
}

}  // namespace

int cmd_status(const Args &args) {
  goalkeeper::Handle state = open_state(args);
  json::object q{{"what", "status"}};
  if (!args.positional.empty()) q["goal_id"] = args.positional[0];
  json::object status = parse_answer(state.query(json::serialize(q))).as_object();
  std::string format = args.get_or("format", "");
  if (format.empty()) {
    std::cout << (args.has("json") ? json::serialize(status) + "\n"
                                   : render_status(status, wall_ms(), color_out()));
    return 0;
  }
  if (format != "tree" && format != "dot" && format != "mermaid")
    throw UsageError("--format: expected tree, dot or mermaid, found '" + format + "'");
  std::vector<json::object> trees;
  for (const auto &g : status.at("goals").as_array()) {
    json::object tq{{"what", "tree"}, {"goal_id", g.at("goal_id")}};
    trees.push_back(parse_answer(state.query(json::serialize(tq))).as_object());
  }
  if (args.has("json")) {
    json::array all;
    for (auto &t : trees) all.push_back(t);
    std::cout << json::serialize(json::object{{"trees", all}}) << "\n";
  } else if (format == "tree") {
    if (trees.empty()) std::cout << "no goals in this state\n";
    for (const auto &t : trees) std::cout << render_tree(t, color_out());
  } else if (format == "dot") {
    std::cout << render_dot(trees);
  } else {
    std::cout << render_mermaid(trees);
  }
  return 0;
}

int cmd_events(const Args &args) {
  install_interrupt_handler();
  goalkeeper::Handle state = open_state(args);
  int64_t after = 0;
  if (auto a = args.get("after")) after = parse_count("after", *a, 0);
  const bool follow = args.has("follow"), as_json = args.has("json");
  for (;;) {
    json::object q{{"what", "events"}, {"after", after}, {"limit", 500}};
    if (auto g = args.get("goal")) q["goal_id"] = *g;
    json::object page = parse_answer(state.query(json::serialize(q))).as_object();
    const json::value *events = page.if_contains("events");
    size_t n = events && events->is_array() ? events->as_array().size() : 0;
    if (n > 0) {
      for (const auto &e : events->as_array())
        std::cout << (as_json ? json::serialize(e) : render_event(e.as_object())) << '\n';
      std::cout << std::flush;
      const json::object &last = events->as_array().back().as_object();
      after = json_int(page, "last_id", json_int(page, "next_after", json_int(last, "id")));
      continue;
    }
    if (!follow || interrupted()) return 0;
    for (int i = 0; i < 5 && !interrupted(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (interrupted()) return 0;
  }
}

int cmd_logs(const Args &args) {
  install_interrupt_handler();
  const std::string key = args.positional.at(0);
  Layout layout(fs::current_path());
  fs::path path;
  try {
    path = layout.log_file(key);
  } catch (const std::invalid_argument &e) {
    throw UsageError(e.what());
  }
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw UsageError("no log for " + key + " at " + path.string() +
                     " (a job that never started has none; see `goalkeeper status`)");
  auto pump = [&] {
    char buf[8192];
    bool any = false;
    for (;;) {
      in.read(buf, sizeof buf);
      std::streamsize got = in.gcount();
      if (got <= 0) break;
      std::cout.write(buf, got);
      any = true;
    }
    in.clear();
    if (any) std::cout << std::flush;
  };
  pump();
  if (!args.has("follow")) return 0;
  // Follow until interrupted or until the job no longer runs (the job registry knows).
  jobs::LocalJobs registry(layout.registry());
  for (int tick = 0; !interrupted(); ++tick) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    pump();
    if (registry.alive(key) != 1) {
      pump();
      break;
    }
  }
  return 0;
}

}  // namespace gk::runner
