// The whole path inside the engine: a gh_ci gate polled through the GitHub checker against the
// fake fails, and the retry rule runs the agent task again with the failed checks in its prompt.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

#include "core/engine.hpp"
#include "fake_github.hpp"
#include "github/checkers.hpp"

namespace json = boost::json;

TEST(EngineWithGitHub, FailedCiRerunsTheAgentWithTheFailureInItsPrompt) {
  gkfake::FakeGitHub fake;
  gkfake::PullState pr;
  pr.checks = {{"build", "completed", "success", ""},
               {"unit-tests", "completed", "failure", "https://ci.example/unit/77"}};
  fake.set_pull("octo/app", 12, pr);
  setenv("GK_TEST_ENGINE_TOKEN", "gk-test-engine-token-never-stored-42", 1);

  auto dir =
      std::filesystem::temp_directory_path() / ("gk-github-engine-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  gk::Config config;
  config.state_path = (dir / "state.db").string();
  config.raw = {{"github",
                 {{"api_url", fake.api_url()},
                  {"graphql_url", fake.graphql_url()},
                  {"token_env", "GK_TEST_ENGINE_TOKEN"}}}};
  int64_t now = 1'000'000;
  gk::HostHooks hooks;
  hooks.now_ms = [&] { return now; };
  {
    gk::Engine engine(config, hooks);
    for (auto &c : gk::make_github_checkers(config)) engine.add_checker(c);
    engine.load(R"(
version: 1
goals:
  - id: land
    tasks:
      - id: implement
        run: ["./agent.sh"]
      - id: ci
        wait_for: {type: gh_ci, repo: octo/app, pr: 12}
        max_retries: 1
)",
                "land.yaml");
    engine.start("land", {});
    auto run_job = [&](const json::object &step) -> json::object {
      for (const auto &a : step.at("actions").as_array())
        if (a.at("type") == "run_job") return a.as_object();
      return {};
    };
    json::object first = run_job(engine.step({}));
    ASSERT_FALSE(first.empty());
    std::string key(first.at("job_key").as_string());
    engine.job_event(key, {{"type", "started"}});
    engine.job_event(key, {{"type", "finished"}, {"exit_code", 0}});
    json::object again;
    for (int i = 0; i < 5 && again.empty(); ++i) {
      again = run_job(engine.step({{"time_budget_ms", 3000}}));
      now += 1'000;
    }
    ASSERT_FALSE(again.empty()) << "the agent task should run again after the gate failed";
    std::string prompt(again.at("prompt").as_string());
    EXPECT_NE(prompt.find("unit-tests"), std::string::npos) << prompt;
    EXPECT_NE(prompt.find("https://ci.example/unit/77"), std::string::npos) << prompt;
    auto events = engine.query({{"what", "events"}, {"goal_id", "land"}, {"limit", 1000}});
    EXPECT_EQ(json::serialize(events).find("gk-test-engine-token-never-stored-42"),
              std::string::npos);
  }
  unsetenv("GK_TEST_ENGINE_TOKEN");
  std::filesystem::remove_all(dir);
}
