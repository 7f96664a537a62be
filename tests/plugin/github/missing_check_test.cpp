// A required check that never reports: the gate says so by name in status and events, and fails
// at its timeout with that reason (the stalled queue of merge bots, made visible).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine_with_fake.hpp"

namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

TEST(MissingCheck, ARequiredCheckThatNeverReportsIsNamedAndFailsTheGateAtItsTimeout) {
  gktest::EngineWithFake h;
  gkfake::PullState p;
  p.checks = {{"unit-tests", "completed", "success", ""}};
  h.fake.set_pull("acme/shop", 3, p);
  h.engine->load(R"(version: 1
goals:
  - id: g
    tasks:
      - id: ci
        wait_for: {type: gh_ci, repo: acme/shop, pr: 3, checks: [unit-tests, lint], timeout: 1m}
)",
                 "g.yaml");
  h.engine->start("g", {});
  for (int i = 0; i < 3; ++i) {
    h.engine->step({{"time_budget_ms", 3000}});
    h.now += 2'500;
  }
  json::object status = h.engine->query({{"what", "status"}});
  const json::object &goal = status.at("goals").at(0).as_object();
  ASSERT_EQ(goal.at("active").as_array().size(), 1u) << json::serialize(goal);
  EXPECT_EQ(json::serialize(goal.at("active").at(0).at("missing_checks")), R"(["lint"])");
  std::string events = h.events_of("g");
  EXPECT_THAT(events, HasSubstr("checks_missing"));
  EXPECT_EQ(events.find("checks_missing"), events.rfind("checks_missing"))
      << "said once, not on every poll";
  h.now += 61'000;
  EXPECT_EQ(h.drive_goal(3), "failed");
  json::object ci = h.engine->query({{"what", "task"}, {"goal_id", "g"}, {"task_id", "ci"}});
  EXPECT_THAT(std::string(ci.at("reason").as_string()),
              HasSubstr("the required check 'lint' never reported"));
}

}  // namespace
