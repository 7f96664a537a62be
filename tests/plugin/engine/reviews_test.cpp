// Reviews and spec mode (docs/design.md "Signals and reviews", "Spec mode").
#include <gtest/gtest.h>

#include <algorithm>

#include "harness.hpp"

using namespace gktest;

namespace {

const char *kReviewed = R"(
version: 1
defaults: {run: ["true"]}
goals:
  - id: g
    tasks:
      - {id: implement}
      - {id: sign-off, stage: human_review}
      - {id: after}
)";

void finish_job(Host &h, const std::string &key) {
  h.started(key);
  h.finish(key);
}

}  // namespace

TEST(Reviews, HumanReviewStageAwaitsReviewAndApproveContinues) {
  Host h;
  h.load(kReviewed);
  h.start("g");
  h.step();
  finish_job(h, "g/implement#1");
  auto s = h.step();
  auto reviews = Host::actions(s, "await_review");
  ASSERT_EQ(reviews.size(), 1u);
  EXPECT_EQ(reviews[0].at("task_id").as_string(), "sign-off");
  EXPECT_EQ(reviews[0].at("kind").as_string(), "human_review");
  EXPECT_TRUE(Host::actions(h.step(), "await_review").empty()) << "announced once";
  EXPECT_EQ(h.status_of("g", "sign-off"), "pending_review");
  h.review("g/sign-off", R"({"decision":"approve"})");
  EXPECT_EQ(Host::run_keys(h.step()), std::vector<std::string>{"g/after#1"});
}

TEST(Reviews, RejectRerunsThePrecedingAgentWithTheFeedback) {
  Host h;
  h.load(kReviewed);
  h.start("g");
  h.step();
  finish_job(h, "g/implement#1");
  h.step();
  h.review("sign-off", R"({"decision":"reject","feedback":"rename the flag"})");
  auto runs = Host::actions(h.step(), "run_job");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].at("job_key").as_string(), "g/implement#2");
  EXPECT_NE(std::string(runs[0].at("prompt").as_string()).find("rename the flag"),
            std::string::npos);
  finish_job(h, "g/implement#2");
  EXPECT_EQ(Host::actions(h.step(), "await_review").size(), 1u);
}

TEST(Reviews, RequiresApprovalPutsAnAgentTaskInReview) {
  Host h;
  h.load(R"(
version: 1
defaults: {run: ["true"]}
goals:
  - id: g
    tasks:
      - {id: a, requires_approval: true}
)");
  h.start("g");
  h.step();
  finish_job(h, "g/a#1");
  EXPECT_EQ(h.status_of("g", "a"), "pending_review");
  EXPECT_EQ(Host::actions(h.step(), "await_review").at(0).at("kind").as_string(), "approval");
  h.review("g/a", R"({"decision":"reject","feedback":"add a test"})");
  auto runs = Host::actions(h.step(), "run_job");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_NE(std::string(runs[0].at("prompt").as_string()).find("add a test"), std::string::npos);
  finish_job(h, "g/a#2");
  h.review("g/a", R"({"decision":"approve"})");
  EXPECT_EQ(Host::actions(h.step(), "goal_finished").size(), 1u);
}

TEST(Reviews, ReviewOfATaskNotInReviewIsAConflictAndChangesNothing) {
  Host h;
  h.load(kReviewed);
  h.start("g");
  h.step();
  EXPECT_EQ(h.review_status("g/implement", R"({"decision":"approve"})"), GK_ERR_CONFLICT);
  EXPECT_NE(last_error().find("not awaiting review"), std::string::npos);
  EXPECT_EQ(h.status_of("g", "implement"), "active");
  EXPECT_EQ(h.review_status("g/sign-off", R"({"decision":"reject"})"), GK_ERR_INVALID)
      << "a rejection needs feedback";
  EXPECT_EQ(h.review_status("g/nope", R"({"decision":"approve"})"), GK_ERR_NOT_FOUND);
}

TEST(Reviews, SpecModePlansThenWaitsForApprovalThenThePlanReplacesTheDeclaredTasks) {
  Host h;
  h.load(R"(
version: 1
goals:
  - id: g
    run: ["./planner"]
    tasks:
      - {id: seed}
)");
  h.start("g", R"({"spec": true})");
  auto runs = Host::actions(h.step(), "run_job");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].at("job_key").as_string(), "g#1");
  h.started("g#1");
  h.finish("g#1", 0, R"({"status":"done","subtasks":[{"id":"p1"},{"id":"p2"}]})");
  auto s = h.step();
  ASSERT_EQ(Host::actions(s, "await_review").size(), 1u);
  EXPECT_TRUE(Host::run_keys(s).empty()) << "nothing runs before approval";
  h.review("g", R"({"decision":"approve"})");
  // The planner was asked for the goal's tasks: its plan runs, the declared task does not.
  EXPECT_EQ(Host::run_keys(h.step()), std::vector<std::string>{"g/p1#1"});
  char *out = nullptr;
  EXPECT_EQ(gk_query(h.plugin, R"({"what":"task","goal_id":"g","task_id":"seed"})", &out),
            GK_ERR_NOT_FOUND);
  auto progress = h.goal_status("g").at("progress");
  EXPECT_EQ(progress.at("total").as_int64(), 2);
  h.started("g/p1#1");
  h.finish("g/p1#1", 0);
  EXPECT_EQ(Host::run_keys(h.step()), std::vector<std::string>{"g/p2#1"});
  h.started("g/p2#1");
  h.finish("g/p2#1", 0);
  auto done = h.step();
  ASSERT_EQ(Host::actions(done, "goal_finished").size(), 1u);
  EXPECT_EQ(Host::actions(done, "goal_finished")[0].at("status").as_string(), "done");
  auto kinds = h.event_kinds("g");
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "plan_approved"), 1);
  // Loading the same file again (a crash, then the same command) changes nothing.
  auto again = h.load(R"(
version: 1
goals:
  - id: g
    run: ["./planner"]
    tasks:
      - {id: seed}
)");
  EXPECT_FALSE(again.at("goals").as_array()[0].at("created").as_bool());
}

TEST(Reviews, SpecModeRejectDeletesThePlanAndLeavesTheGoalStopped) {
  Host h;
  h.load(R"(
version: 1
goals:
  - id: g
    run: ["./planner"]
    tasks:
      - {id: seed}
)");
  h.start("g", R"({"spec": true})");
  h.step();
  h.started("g#1");
  h.finish("g#1", 0, R"({"status":"done","subtasks":[{"id":"p1"}]})");
  h.step();
  h.review("g", R"({"decision":"reject","feedback":"too coarse"})");
  auto st = h.goal_status("g");
  EXPECT_EQ(st.at("state").as_string(), "stopped");
  EXPECT_EQ(st.at("status").as_string(), "pending");
  char *out = nullptr;
  EXPECT_EQ(gk_query(h.plugin, R"({"what":"task","goal_id":"g","task_id":"p1"})", &out),
            GK_ERR_NOT_FOUND);
  EXPECT_TRUE(Host::run_keys(h.step()).empty());
  // The declared task stays: a start without spec mode runs it.
  h.start("g");
  EXPECT_EQ(Host::run_keys(h.step()), std::vector<std::string>{"g/seed#1"});
}

// A parent follows its waiting child into pending_review; a host that opens the state again must
// be asked about the task that waits, once, and never about its goal as if it were a plan.
TEST(Reviews, AReopenedStateAsksAboutTheWaitingTaskOnceAndNeverAboutItsParents) {
  TempDir dir;
  auto state = dir.path() / "state.db";
  {
    Host h(state, "{}");
    h.load(kReviewed);
    h.start("g");
    h.step();
    finish_job(h, "g/implement#1");
  }
  // The first step after a reopen announces the review it has not handed out yet.
  {
    Host h(state, "{}");
    auto reviews = Host::actions(h.step(), "await_review");
    ASSERT_EQ(reviews.size(), 1u);
    EXPECT_EQ(reviews[0].at("task_id").as_string(), "sign-off");
    EXPECT_EQ(reviews[0].at("kind").as_string(), "human_review");
  }
  // Later opens, and later steps, ask nothing more.
  for (int round = 0; round < 2; ++round) {
    Host h(state, "{}");
    EXPECT_TRUE(Host::actions(h.step(), "await_review").empty()) << "round " << round;
    EXPECT_TRUE(Host::actions(h.step(), "await_review").empty()) << "round " << round;
  }
}
