// The whole path inside the engine: a gh_ci or gh_review gate polled through the GitHub checker
// against the fake fails, and the retry rule runs the agent task again with what failed in its
// prompt.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

#include "core/engine.hpp"
#include "fake_github.hpp"
#include "github/checkers.hpp"

namespace json = boost::json;

namespace {

constexpr const char *kToken = "gk-test-engine-token-never-stored-42";

struct Rerun {
  std::string prompt;  // "" when the agent task did not run again
  std::string events;  // the goal's events as JSON
};

// Runs `implement` (an agent task) once, lets the gate `wait_for` fail against the fake, and
// returns the prompt of the agent task's second run.
Rerun rerun_after_failed_gate(gkfake::FakeGitHub &fake, const std::string &wait_for) {
  setenv("GK_TEST_ENGINE_TOKEN", kToken, 1);
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
  Rerun out;
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
      - id: gate
        wait_for: )" +
                    wait_for + R"(
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
    if (!first.empty()) {
      std::string key(first.at("job_key").as_string());
      engine.job_event(key, {{"type", "started"}});
      engine.job_event(key, {{"type", "finished"}, {"exit_code", 0}});
      json::object again;
      for (int i = 0; i < 5 && again.empty(); ++i) {
        again = run_job(engine.step({{"time_budget_ms", 3000}}));
        now += 1'000;
      }
      if (!again.empty()) out.prompt = std::string(again.at("prompt").as_string());
    }
    out.events =
        json::serialize(engine.query({{"what", "events"}, {"goal_id", "land"}, {"limit", 1000}}));
  }
  unsetenv("GK_TEST_ENGINE_TOKEN");
  std::filesystem::remove_all(dir);
  return out;
}

}  // namespace

TEST(EngineWithGitHub, FailedCiRerunsTheAgentWithTheFailureInItsPrompt) {
  gkfake::FakeGitHub fake;
  gkfake::PullState pr;
  pr.checks = {{"build", "completed", "success", ""},
               {"unit-tests", "completed", "failure", "https://ci.example/unit/77"}};
  fake.set_pull("octo/app", 12, pr);
  Rerun r = rerun_after_failed_gate(fake, "{type: gh_ci, repo: octo/app, pr: 12}");
  ASSERT_FALSE(r.prompt.empty()) << "the agent task should run again after the gate failed";
  EXPECT_NE(r.prompt.find("unit-tests"), std::string::npos) << r.prompt;
  EXPECT_NE(r.prompt.find("https://ci.example/unit/77"), std::string::npos) << r.prompt;
  EXPECT_EQ(r.events.find(kToken), std::string::npos);
}

TEST(EngineWithGitHub, ARerunPromptNamesTheFailingCheckWithItsTitleAndSummary) {
  gkfake::FakeGitHub fake;
  gkfake::PullState pr;
  pr.checks = {{"build", "completed", "success", "", "Built", "fine"},
               {"unit-tests", "completed", "failure", "https://ci.example/unit/77",
                "3 tests failed", "parser_test: 2 failures\nlexer_test: 1 failure"}};
  fake.set_pull("octo/app", 12, pr);
  Rerun r = rerun_after_failed_gate(fake, "{type: gh_ci, repo: octo/app, pr: 12}");
  ASSERT_FALSE(r.prompt.empty()) << "the agent task should run again after the gate failed";
  EXPECT_NE(r.prompt.find("## The previous attempt failed\n"
                          "The gate 'gate' (gh_ci) failed (retry 1 of 1) at 6dcb09b.\n"
                          "Failing checks:\n"
                          "- unit-tests: failure \u2014 3 tests failed\n"
                          "  parser_test: 2 failures\n"
                          "  lexer_test: 1 failure\n"
                          "  https://ci.example/unit/77\n"),
            std::string::npos)
      << r.prompt;
  ASSERT_NE(r.prompt.find("## The previous attempt failed"), std::string::npos);
  const std::string failure = r.prompt.substr(r.prompt.find("## The previous attempt failed"));
  EXPECT_EQ(failure.find("- build"), std::string::npos) << "a passing check is not listed";
  EXPECT_EQ(failure.find("{\""), std::string::npos) << "no raw JSON: " << failure;
}

TEST(EngineWithGitHub, ARerunPromptQuotesTheReviewThatRequestedChangesAndItsLineComments) {
  gkfake::FakeGitHub fake;
  gkfake::PullState pr;
  pr.review_decision = "CHANGES_REQUESTED";
  pr.reviews = {{"alice", "CHANGES_REQUESTED", "Please split the parser."}};
  pr.comments = {{"alice", "src/a.cpp", 12, "off by one", 0}};
  fake.set_pull("octo/app", 12, pr);
  Rerun r = rerun_after_failed_gate(fake, "{type: gh_review, repo: octo/app, pr: 12}");
  ASSERT_FALSE(r.prompt.empty()) << "the agent task should run again after the gate failed";
  EXPECT_NE(r.prompt.find("The gate 'gate' (gh_review) failed (retry 1 of 1) at 6dcb09b.\n"
                          "Changes requested by alice:\n"
                          "  Please split the parser.\n"
                          "Line comments:\n"
                          "- src/a.cpp:12 (alice): off by one\n"),
            std::string::npos)
      << r.prompt;
}
