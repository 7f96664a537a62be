// What `run`, `step` and `serve` share: loading and starting the goals of a file, and a Session
// that holds everything in the order the plugin needs it: the job registry and the host
// callbacks exist before gk_open, the state before the driver.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli.hpp"
#include "driver.hpp"
#include "state.hpp"

namespace gk::runner {

// Loads the goal file and returns the ids of its goals (or only --goal, which must be one).
std::vector<std::string> load_goals(goalkeeper::Handle &state, const std::string &file,
                                    const Args &args);
// The same with the file's text already read (read_goal_text).
std::vector<std::string> load_goals(goalkeeper::Handle &state, const std::string &file,
                                    const std::string &text, const Args &args);

void start_goals(goalkeeper::Handle &state, const std::vector<std::string> &ids, bool spec);

// `run FILE` discovers once at its start (the file's triggers, due or not) and drives what it
// found with the file's goals: returns the ids of the goals discovery made, found or resumed. A
// search that fails is said on stderr; the goals already known are driven all the same.
std::vector<std::string> discover_at_start(goalkeeper::Handle &state, const std::string &file,
                                           const std::string &text);

struct Session {
  // file and text: the goal file the command loads ("" for none), checked with the configuration
  // before anything is created (check_before_writing).
  explicit Session(const Args &args, const std::string &file = {}, const std::string &text = {})
      : layout((check_before_writing(args, file, text), fs::current_path())),
        jobs((layout.ensure(), layout.registry())),
        bridge(jobs, layout, args.has("verbose")),
        state(open_state(args, bridge.host())),
        workspaces(fs::current_path(), layout),
        view(make_view(args.has("json"))) {
    DriverOptions o;
    o.goal = args.get("goal");
    if (auto n = args.get("jobs")) o.max_jobs = parse_count("jobs", *n, 1);
    o.auto_approve = args.has("auto-approve");
    const boost::json::object config = open_config(args, false);
    o.state_path = state_path_of(config);
    jobs.withhold_environment(withheld_variables(config));
    driver = std::make_unique<Driver>(state, jobs, bridge, workspaces, layout, *view, o);
  }

  Layout layout;
  jobs::LocalJobs jobs;
  HostBridge bridge;
  goalkeeper::Handle state;
  Workspaces workspaces;
  std::unique_ptr<View> view;
  std::unique_ptr<Driver> driver;
};

}  // namespace gk::runner
