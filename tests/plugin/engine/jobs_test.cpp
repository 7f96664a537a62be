// Jobs: offers, start failures, late results, retries, results, orphans (docs/design.md "One step",
// "Rules the review taught us" 1-3, "Durability").
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "harness.hpp"

using namespace gktest;

namespace {

const char *kTwoSpawn = R"(
version: 1
defaults: {run: ["./agent.sh", "{{ task.id }}"], session_policy: spawn, max_retries: 1}
goals:
  - id: g
    tasks: [{id: a}, {id: b}]
)";

}  // namespace

TEST(Jobs, RunJobIsOfferedAgainUntilTheHostReportsStarted) {
  Host h;
  h.load(kTwoSpawn);
  h.start("g");
  EXPECT_EQ(Host::run_keys(h.step()), std::vector<std::string>{"g/a#1"});
  // The host crashed before starting it: the same key comes again.
  EXPECT_EQ(Host::run_keys(h.step()), std::vector<std::string>{"g/a#1"});
  h.started("g/a#1");
  EXPECT_TRUE(Host::run_keys(h.step()).empty());
}

TEST(Jobs, RunJobCarriesCommandEnvironmentAndPrompt) {
  Host h;
  h.load(kTwoSpawn);
  h.start("g");
  auto runs = Host::actions(h.step(), "run_job");
  ASSERT_EQ(runs.size(), 1u);
  auto &a = runs[0];
  EXPECT_EQ(a.at("command").as_array().at(1).as_string(), "a");
  auto &env = a.at("env").as_object();
  for (const char *k : {"GK_GOAL_ID", "GK_TASK_ID", "GK_JOB_KEY", "GK_ATTEMPT", "GK_SESSION_ID",
                        "GK_PROMPT", "GK_STATE"})
    EXPECT_TRUE(env.contains(k)) << k;
  EXPECT_EQ(env.at("GK_JOB_KEY").as_string(), "g/a#1");
  EXPECT_EQ(a.at("session").at("workspace").as_string(), "isolated");
}

// Review lesson 2: a spawn that fails goes back to pending with backoff, never into the pinned
// session, and is blocked with the reason after repeated failures.
TEST(Jobs, StartFailedReturnsTaskToPendingWithBackoffThenBlocks) {
  Host h(R"({"limits": {"max_start_failures": 3, "start_backoff_ms": 1000}})");
  h.load(kTwoSpawn);
  h.start("g");
  h.step();
  h.event("g/a#1", R"({"type":"start_failed","reason":"worktree add failed"})");
  EXPECT_EQ(h.status_of("g", "a"), "pending");
  EXPECT_TRUE(Host::run_keys(h.step()).empty()) << "backoff must hold the task";
  h.now += 1000;
  auto keys = Host::run_keys(h.step());
  ASSERT_EQ(keys, std::vector<std::string>{"g/a#2"});
  h.event("g/a#2", R"({"type":"start_failed","reason":"worktree add failed"})");
  h.now += 2000;
  ASSERT_EQ(Host::run_keys(h.step()), std::vector<std::string>{"g/a#3"});
  h.event("g/a#3", R"({"type":"start_failed","reason":"disk full"})");
  EXPECT_EQ(h.status_of("g", "a"), "blocked");
  auto t = h.task("g", "a");
  EXPECT_NE(std::string(t.at("reason").as_string()).find("disk full"), std::string::npos);
  h.now += 100000;
  EXPECT_TRUE(Host::run_keys(h.step()).empty());
}

TEST(Jobs, SpawnFailureNeverMovesWorkIntoTheBusyPinnedSession) {
  Host h;
  h.load(R"(
version: 1
defaults: {run: ["true"]}
goals:
  - id: g
    parallel: true
    tasks:
      - {id: pinned-work, session_policy: reuse}
      - {id: spawned-work, session_policy: spawn}
)");
  h.start("g");
  auto runs = Host::actions(h.step(), "run_job");
  ASSERT_EQ(runs.size(), 2u);
  h.started("g/pinned-work#1");
  h.event("g/spawned-work#1", R"({"type":"start_failed","reason":"no worktree"})");
  h.now += 60000;
  auto again = Host::actions(h.step(), "run_job");
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].at("job_key").as_string(), "g/spawned-work#2");
  EXPECT_EQ(again[0].at("session").at("workspace").as_string(), "isolated");
}

// Review lesson 1: a late result is applied by job key; a superseded attempt is ignored.
TEST(Jobs, LateResultOfASupersededAttemptIsRecordedAndIgnored) {
  Host h;
  h.load(kTwoSpawn);
  h.start("g");
  h.step();
  h.started("g/a#1");
  h.finish("g/a#1", 1);  // fails, retried as attempt 2
  auto keys = Host::run_keys(h.step());
  ASSERT_EQ(keys, std::vector<std::string>{"g/a#2"});
  h.started("g/a#2");
  // A duplicate report of attempt 1 arrives late: it must not touch attempt 2.
  h.finish("g/a#1", 0);
  EXPECT_EQ(h.status_of("g", "a"), "active");
  auto kinds = h.event_kinds("g");
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "late_event_ignored"), kinds.end());
}

TEST(Jobs, ResultForAStoppedGoalIsIgnoredAndCancelIsRepeatedUntilFinished) {
  Host h;
  h.load(kTwoSpawn);
  h.start("g");
  h.step();
  h.started("g/a#1");
  ASSERT_EQ(h.control("g", "stop"), GK_OK);
  auto s = h.step();
  auto cancels = Host::actions(s, "cancel_job");
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].at("job_key").as_string(), "g/a#1");
  EXPECT_EQ(Host::actions(h.step(), "cancel_job").size(), 1u);  // until the host confirms
  h.finish("g/a#1", 0);  // the job's result arrives after the stop
  EXPECT_EQ(h.status_of("g", "a"), "pending");
  EXPECT_TRUE(Host::actions(h.step(), "cancel_job").empty());
  // Starting again resumes with a new attempt.
  h.start("g");
  EXPECT_EQ(Host::run_keys(h.step()), std::vector<std::string>{"g/a#2"});
}

TEST(Jobs, UnknownJobKeyIsNotFound) {
  Host h;
  h.load(kTwoSpawn);
  h.start("g");
  h.step();
  EXPECT_EQ(h.event_status("g/a#7", R"({"type":"started"})"), GK_ERR_NOT_FOUND);
  EXPECT_EQ(h.event_status("g/zz#1", R"({"type":"started"})"), GK_ERR_NOT_FOUND);
  EXPECT_EQ(h.event_status("nope/a#1", R"({"type":"started"})"), GK_ERR_NOT_FOUND);
  EXPECT_EQ(h.event_status("g/a", R"({"type":"started"})"), GK_ERR_INVALID);
}

TEST(Jobs, FailedJobIsRetriedWithTheFailureInTheNextPrompt) {
  Host h;
  h.load(kTwoSpawn);
  h.start("g");
  h.step();
  h.started("g/a#1");
  h.finish("g/a#1", 2, R"({"status":"failed","summary":"tests broke in parser.cpp"})");
  auto runs = Host::actions(h.step(), "run_job");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].at("job_key").as_string(), "g/a#2");
  std::string prompt(runs[0].at("prompt").as_string());
  EXPECT_NE(prompt.find("tests broke in parser.cpp"), std::string::npos) << prompt;
  h.started("g/a#2");
  h.finish("g/a#2", 1);
  EXPECT_EQ(h.status_of("g", "a"), "failed");  // max_retries 1 used up
  auto fin = Host::actions(h.step(), "goal_finished");
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].at("status").as_string(), "failed");
}

TEST(Jobs, ResultFileDecidesStatusAndArtifactsFeedLaterTemplates) {
  Host h;
  h.load(R"(
version: 1
defaults: {run: ["true"]}
goals:
  - id: g
    tasks:
      - {id: make}
      - {id: use, env: {PR: "{{ tasks.make.artifacts.pr }}"}}
)");
  h.start("g");
  h.step();
  h.started("g/make#1");
  std::string path = (h.dir->path() / "result.json").string();
  std::ofstream(path) << R"({"status":"done","summary":"made","artifacts":{"pr":42}})";
  h.event("g/make#1", R"({"type":"finished","exit_code":0,"result_file":")" + path + R"("})");
  auto runs = Host::actions(h.step(), "run_job");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].at("env").at("PR").as_string(), "42");
}

TEST(Jobs, ResultBlockedBlocksTheTaskAndResumeUnblocksIt) {
  Host h;
  h.load(kTwoSpawn);
  h.start("g");
  h.step();
  h.started("g/a#1");
  h.finish("g/a#1", 0, R"({"status":"blocked","summary":"need credentials"})");
  EXPECT_EQ(h.status_of("g", "a"), "blocked");
  EXPECT_EQ(h.goal_status("g").at("status").as_string(), "blocked");
  EXPECT_EQ(h.control("g", "pause"), GK_OK);
  EXPECT_EQ(h.control("g", "resume"), GK_OK);
  EXPECT_EQ(Host::run_keys(h.step()), std::vector<std::string>{"g/a#2"});
}

TEST(Jobs, SubtasksOfAResultRunAsChildrenInParallel) {
  Host h;
  h.load(R"(
version: 1
defaults: {run: ["true"], session_policy: spawn}
goals:
  - id: g
    tasks:
      - {id: plan, parallel: true}
      - {id: after}
)");
  h.start("g");
  h.step();
  h.started("g/plan#1");
  h.finish("g/plan#1", 0, R"({"status":"done","subtasks":[{"id":"s1"},{"id":"s2"},{"id":"s3"}]})");
  auto keys = Host::run_keys(h.step());
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"g/s1#1", "g/s2#1", "g/s3#1"}));
  for (auto &k : keys) {
    h.started(k);
    h.finish(k);
  }
  EXPECT_EQ(h.status_of("g", "plan"), "done");
  EXPECT_EQ(Host::run_keys(h.step()), std::vector<std::string>{"g/after#1"});
}

// Review lesson 3: every task being worked on is active and visible as such.
TEST(Jobs, EveryTaskBeingWorkedOnIsActiveInStatus) {
  Host h;
  h.load(R"(
version: 1
defaults: {run: ["true"]}
goals:
  - id: g
    parallel: true
    tasks:
      - {id: p, session_policy: reuse}
      - {id: s, session_policy: spawn}
      - {id: gate, wait_for: {type: human_approval}}
)");
  h.start("g");
  h.step();
  h.started("g/p#1");
  auto st = h.goal_status("g");
  std::set<std::string> active;
  for (auto &a : st.at("active").as_array()) active.emplace(a.at("task_id").as_string());
  EXPECT_EQ(active, (std::set<std::string>{"p", "s", "gate"}));
  for (const char *t : {"p", "s", "gate"}) EXPECT_EQ(h.status_of("g", t), "active") << t;
}

TEST(Jobs, OrphanIsReclaimedWhenTheHostReportsItsJobGone) {
  Host h;
  h.load(kTwoSpawn);
  h.start("g");
  h.step();
  h.started("g/a#1");
  h.alive["g/a#1"] = 0;
  auto keys = Host::run_keys(h.step());
  EXPECT_EQ(keys, std::vector<std::string>{"g/a#2"});
  auto t = h.task("g", "a");
  EXPECT_FALSE(t.contains("retries_used")) << "a reclaim must not use a retry";
  EXPECT_EQ(t.at("reclaims").as_int64(), 1);
}

TEST(Jobs, LeaseExpiryWithoutHeartbeatReclaimsAndRepeatedReclaimsBlock) {
  Host h(R"({"limits": {"lease_s": 10, "max_reclaims": 1}})");
  h.load(kTwoSpawn);
  h.start("g");
  h.step();
  h.started("g/a#1");
  h.now += 5000;
  h.event("g/a#1", R"({"type":"heartbeat"})");
  h.now += 9000;
  EXPECT_TRUE(Host::run_keys(h.step()).empty()) << "heartbeat extended the lease";
  h.now += 2000;
  EXPECT_EQ(Host::run_keys(h.step()), std::vector<std::string>{"g/a#2"});
  h.started("g/a#2");
  h.now += 11000;
  h.step();
  EXPECT_EQ(h.status_of("g", "a"), "blocked");
}

TEST(Jobs, PauseStartsNothingNewButLetsRunningJobsFinish) {
  Host h;
  h.load(kTwoSpawn);
  h.start("g");
  h.step();
  h.started("g/a#1");
  ASSERT_EQ(h.control("g", "pause"), GK_OK);
  h.finish("g/a#1");
  EXPECT_EQ(h.status_of("g", "a"), "done");
  EXPECT_TRUE(Host::run_keys(h.step()).empty());
  ASSERT_EQ(h.control("g", "resume"), GK_OK);
  EXPECT_EQ(Host::run_keys(h.step()), std::vector<std::string>{"g/b#1"});
}

TEST(Jobs, StartFailedFromAnotherHostAfterStartedIsIgnored) {
  Host h;
  h.load(kTwoSpawn);
  h.start("g");
  h.step();
  h.started("g/a#1");
  // A second host of the same state could not start what the first one did start.
  h.event("g/a#1", R"({"type":"start_failed","reason":"worktree exists"})");
  EXPECT_EQ(h.status_of("g", "a"), "active");
  EXPECT_EQ(json::value_to<int64_t>(h.task("g", "a").at("start_failures")), 0);
  auto kinds = h.event_kinds("g");
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "late_event_ignored"), 1);
  h.finish("g/a#1", 0);
  EXPECT_EQ(h.status_of("g", "a"), "done");
}
