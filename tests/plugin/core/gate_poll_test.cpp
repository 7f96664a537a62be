// The engine's side of polling: which gate parts are due, and how outcomes are applied, with a
// scripted checker (scripted_checker.hpp).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "core/engine.hpp"
#include "core/error.hpp"
#include "scripted_checker.hpp"

namespace json = boost::json;
using namespace gk;

namespace {

struct GatePolling : ::testing::Test {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("gk-poll-" + std::to_string(getpid()) + "-" +
                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  int64_t now = 1'000'000;
  std::shared_ptr<ScriptedChecker> checker = std::make_shared<ScriptedChecker>();
  std::unique_ptr<Engine> engine;

  void SetUp() override {
    std::filesystem::create_directories(dir);
    Config c;
    c.state_path = (dir / "state.db").string();
    HostHooks hooks;
    hooks.now_ms = [this] { return now; };
    engine = std::make_unique<Engine>(c, hooks);
    engine->add_checker(checker);
    engine->load(R"(
version: 1
goals:
  - id: g
    tasks:
      - id: ci
        wait_for: {type: compound, all: [{type: gh_ci, repo: a/b, pr: 1}, {type: human_approval, key: k}]}
)",
                 "g.yaml");
    engine->start("g", {});
  }
  void TearDown() override {
    engine.reset();
    std::filesystem::remove_all(dir);
  }
  std::string status() {
    auto t = engine->query({{"what", "task"}, {"goal_id", "g"}, {"task_id", "ci"}});
    return std::string(t.at("status").as_string());
  }
  std::vector<std::string> kinds() {
    std::vector<std::string> out;
    auto r = engine->query({{"what", "events"}, {"goal_id", "g"}, {"limit", 1000}});
    for (auto &e : r.at("events").as_array()) out.emplace_back(e.at("kind").as_string());
    return out;
  }
};

GateOutcome wait_until(int64_t at) {
  return {GateOutcome::Kind::wait, {}, "", at, {{"etag", "x"}}};
}

}  // namespace

TEST_F(GatePolling, OnlyThePartsACheckerHandlesArePolledAndOnlyWhenDue) {
  checker->script = {wait_until(now + 30'000)};
  engine->step({});  // activates the gate: its gh_ci part is due at once
  engine->step({});
  ASSERT_EQ(checker->seen.size(), 1u);
  EXPECT_EQ(checker->seen[0].gate, "g/ci#all.0");
  EXPECT_EQ(checker->seen[0].config.at("repo").as_string(), "a/b");
  now += 10'000;
  engine->step({});
  EXPECT_EQ(checker->seen.size(), 1u) << "not due yet";
  now += 20'000;
  checker->script = {wait_until(now + 30'000)};
  engine->step({});
  ASSERT_EQ(checker->seen.size(), 2u);
  EXPECT_EQ(checker->seen[1].memo.at("etag").as_string(), "x") << "memo kept between polls";
}

TEST_F(GatePolling, APolledPassCombinesWithASignalInACompound) {
  engine->step({});
  checker->script = {{GateOutcome::Kind::pass, {{"checks", 3}}, "", 0, {}}};
  engine->step({});
  EXPECT_EQ(status(), "active") << "the human part still waits";
  engine->signal({{"type", "human_approval"}, {"key", "k"}, {"status", "pass"}});
  EXPECT_EQ(status(), "done");
}

TEST_F(GatePolling, ServiceFaultsNeverResolveAGateAndAreRecorded) {
  engine->step({});
  engine->step({});  // the checker throws: treated as wait with a reason
  EXPECT_EQ(status(), "active");
  auto k = kinds();
  EXPECT_NE(std::find(k.begin(), k.end(), "gate_poll_problem"), k.end());
}

TEST_F(GatePolling, ABlockedOutcomeBlocksTheGateWithTheReason) {
  engine->step({});
  checker->script = {{GateOutcome::Kind::blocked, {}, "401: the token is not valid", 0, {}}};
  engine->step({});
  EXPECT_EQ(status(), "blocked");
  auto t = engine->query({{"what", "task"}, {"goal_id", "g"}, {"task_id", "ci"}});
  EXPECT_NE(std::string(t.at("reason").as_string()).find("401"), std::string::npos);
}

TEST_F(GatePolling, NextStepComesWhenThePollIsDue) {
  engine->step({});
  checker->script = {wait_until(now + 250)};
  auto r = engine->step({});
  EXPECT_EQ(r.at("next_step_ms").as_int64(), 250);
}

TEST(GatePollBudget, CheckersShareOneStepsTimeBudget) {
  auto dir =
      std::filesystem::temp_directory_path() / ("gk-poll-budget-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  Config c;
  c.state_path = (dir / "state.db").string();
  int64_t now = 1'000'000;
  HostHooks hooks;
  hooks.now_ms = [&] { return now; };
  auto ci = std::make_shared<ScriptedChecker>();
  auto bot = std::make_shared<ScriptedChecker>();
  bot->type = "centaur_review";
  ci->takes_ms = 300;
  ci->script = {wait_until(now + 30'000)};
  bot->script = {wait_until(now + 30'000)};
  {
    Engine engine(c, hooks);
    engine.add_checker(ci);
    engine.add_checker(bot);
    engine.load(R"(
version: 1
goals:
  - id: g
    tasks:
      - id: both
        wait_for:
          type: compound
          all:
            - {type: gh_ci, repo: a/b, pr: 1}
            - {type: centaur_review, pr_url: "https://github.com/a/b/pull/1"}
)",
                "g.yaml");
    engine.start("g", {});
    engine.step({{"time_budget_ms", 400}});
    engine.step({{"time_budget_ms", 400}});
  }
  std::filesystem::remove_all(dir);
  ASSERT_EQ(ci->budgets.size(), 1u);
  ASSERT_EQ(bot->budgets.size(), 1u);
  EXPECT_GE(ci->budgets[0], 350) << "the first checker has (nearly) the whole budget";
  EXPECT_LE(bot->budgets[0], 100) << "the second has only what the first left";
}
