// An engine in this process with the real GitHub checkers and search, pointed at the in-process
// fake GitHub, a host clock the test moves, and a state in a fresh temp folder.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "core/engine.hpp"
#include "fake_github.hpp"
#include "github/checkers.hpp"

namespace gktest {

namespace json = boost::json;

constexpr const char *kTokenEnv = "GK_TEST_ENGINE_FAKE_TOKEN";
constexpr const char *kToken = "gk-test-fake-token-never-stored-77";

struct EngineWithFake {
  gkfake::FakeGitHub fake;
  std::filesystem::path dir;
  int64_t now = 1'000'000;
  std::unique_ptr<gk::Engine> engine;

  explicit EngineWithFake(bool dry_run = false) {
    setenv(kTokenEnv, kToken, 1);
    dir = std::filesystem::temp_directory_path() /
          ("gk-engine-fake-" + std::to_string(getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    gk::Config config;
    config.state_path = (dir / "state.db").string();
    config.dry_run = dry_run;
    config.raw = {{"github",
                   {{"api_url", fake.api_url()},
                    {"graphql_url", fake.graphql_url()},
                    {"token_env", kTokenEnv},
                    {"poll_s", {{"gh_ci", 1}, {"gh_review", 1}}},
                    {"backoff_s", 1}}}};
    gk::HostHooks hooks;
    hooks.now_ms = [this] { return now; };
    engine = std::make_unique<gk::Engine>(config, hooks);
    for (auto &c : gk::make_github_checkers(config)) engine->add_checker(c);
    engine->set_pull_finder(gk::make_github_pull_finder(config));
    engine->set_status_poster(gk::make_github_status_poster(config));
  }
  ~EngineWithFake() {
    engine.reset();
    unsetenv(kTokenEnv);
    std::filesystem::remove_all(dir);
  }

  // Steps (moving the clock 2.5 s each) until a goal finished or `steps` ran; its status.
  std::string drive_goal(int steps) {
    for (int i = 0; i < steps; ++i) {
      json::object s = engine->step({{"time_budget_ms", 3000}});
      for (const auto &a : s.at("actions").as_array())
        if (a.at("type") == "goal_finished") return std::string(a.at("status").as_string());
      now += 2'500;
    }
    return "unfinished";
  }
  std::string status_of(const std::string &goal, const std::string &task) {
    return std::string(engine->query({{"what", "task"}, {"goal_id", goal}, {"task_id", task}})
                           .at("status")
                           .as_string());
  }
  std::vector<gkfake::Mutation> mutations_ending(const std::string &suffix) {
    std::vector<gkfake::Mutation> out;
    for (auto &m : fake.mutations())
      if (m.path.ends_with(suffix)) out.push_back(m);
    return out;
  }
  std::string events_of(const std::string &goal) {
    return json::serialize(engine->query({{"what", "events"}, {"goal_id", goal}, {"limit", 1000}}));
  }
};

}  // namespace gktest
