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
#include "text_width.hpp"
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

// A folder where nothing ran yet has no state: an answer for a command that reads, not an
// error, and nothing is created.
void say_no_state(const Args &args, const NoState &e, const char *json_answer) {
  if (args.has("json")) {
    if (json_answer) std::cout << json_answer << '\n';
    std::cerr << e.what() << '\n';
  } else {
    std::cout << e.what() << '\n';
  }
}

}  // namespace

int cmd_status(const Args &args) {
  std::optional<goalkeeper::Handle> opened;
  try {
    opened.emplace(open_state(args, nullptr, Access::read_only));
  } catch (const NoState &e) {
    say_no_state(args, e, args.get("format") ? R"({"trees":[]})" : R"({"goals":[]})");
    return 0;
  }
  goalkeeper::Handle &state = *opened;
  json::object q{{"what", "status"}};
  if (!args.positional.empty()) q["goal_id"] = args.positional[0];
  json::object status = parse_answer(state.query(json::serialize(q))).as_object();
  std::string format = args.get_or("format", "");
  if (format.empty()) {
    std::cout << (args.has("json") ? json::serialize(status) + "\n"
                                   : shown_lines(render_status(status, wall_ms(), color_out())));
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
    for (const auto &t : trees) std::cout << shown_lines(render_tree(t, color_out()));
  } else if (format == "dot") {
    std::cout << shown_lines(render_dot(trees));
  } else {
    std::cout << shown_lines(render_mermaid(trees));
  }
  return 0;
}

int cmd_events(const Args &args) {
  install_interrupt_handler();
  const bool follow = args.has("follow"), as_json = args.has("json");
  int64_t after = 0;
  if (auto a = args.get("after")) after = parse_count("after", *a, 0);
  std::optional<goalkeeper::Handle> opened;
  for (bool said = false; !opened;) {
    try {
      opened.emplace(open_state(args, nullptr, Access::read_only));
    } catch (const NoState &e) {
      if (!said) say_no_state(args, e, nullptr);
      said = true;
      // Followed, the log begins when a run makes the state.
      if (!follow) return 0;
      for (int i = 0; i < 5 && !interrupted(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (interrupted()) return 0;
    }
  }
  goalkeeper::Handle &state = *opened;
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
  const bool as_json = args.has("json");
  // --json: one object per line of output, {"job_key":...,"line":...}, like every --json; a
  // line the job has not ended yet waits for its end (or for the job's).
  std::string partial;
  auto emit = [&](const char *data, size_t n, bool last) {
    if (!as_json) {
      std::cout.write(data, static_cast<std::streamsize>(n));
      return;
    }
    partial.append(data, n);
    size_t start = 0;
    for (size_t nl; (nl = partial.find('\n', start)) != std::string::npos; start = nl + 1)
      std::cout << json::serialize(json::object{
                       {"job_key", key}, {"line", valid_utf8(partial.substr(start, nl - start))}})
                << '\n';
    partial.erase(0, start);
    if (last && !partial.empty()) {
      std::cout << json::serialize(json::object{{"job_key", key}, {"line", valid_utf8(partial)}})
                << '\n';
      partial.clear();
    }
  };
  auto pump = [&](bool last) {
    char buf[8192];
    for (;;) {
      in.read(buf, sizeof buf);
      std::streamsize got = in.gcount();
      if (got <= 0) break;
      emit(buf, static_cast<size_t>(got), false);
    }
    in.clear();
    if (last) emit("", 0, true);
    std::cout << std::flush;
  };
  if (!args.has("follow")) {
    pump(true);
    return 0;
  }
  pump(false);
  // Follow until interrupted or until the job no longer runs (the job registry knows; a folder
  // without one has no job running).
  std::error_code ec;
  if (!fs::is_directory(layout.registry(), ec)) {
    pump(true);
    return 0;
  }
  jobs::LocalJobs registry(layout.registry());
  while (!interrupted()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    pump(false);
    if (registry.alive(key) != 1) break;
  }
  pump(true);
  return 0;
}

}  // namespace gk::runner
