// Order rules: the tree says when, the policy says where (docs/design.md "The engine", Order).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "harness.hpp"

using namespace gktest;

namespace {

void run_to_finish(Host &h, const std::string &key) {
  h.started(key);
  h.finish(key);
}

}  // namespace

TEST(Order, ParallelParentOffersAllChildrenTogether) {
  Host h;
  h.load(R"(
version: 1
defaults: {run: ["true"], session_policy: spawn}
goals:
  - id: g
    parallel: true
    tasks: [{id: a}, {id: b}, {id: c}]
)");
  h.start("g");
  auto keys = Host::run_keys(h.step());
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"g/a#1", "g/b#1", "g/c#1"}));
}

TEST(Order, SequentialChildWaitsForEveryEarlierSibling) {
  Host h;
  h.load(R"(
version: 1
defaults: {run: ["true"], session_policy: spawn}
goals:
  - id: g
    tasks: [{id: a}, {id: b}]
)");
  h.start("g");
  EXPECT_EQ(Host::run_keys(h.step()), std::vector<std::string>{"g/a#1"});
  h.started("g/a#1");
  // a still runs: b must not be offered, even though a spawned session is free.
  EXPECT_TRUE(Host::run_keys(h.step()).empty());
  h.finish("g/a#1");
  EXPECT_EQ(Host::run_keys(h.step()), std::vector<std::string>{"g/b#1"});
}

TEST(Order, NeedsReplacesEarlierSiblingsWithTheNamedOnes) {
  Host h;
  h.load(R"(
version: 1
defaults: {run: ["true"], session_policy: spawn}
goals:
  - id: g
    tasks:
      - {id: a}
      - {id: b}
      - {id: c, needs: [a]}
      - {id: d, needs: []}
)");
  h.start("g");
  auto keys = Host::run_keys(h.step());
  std::sort(keys.begin(), keys.end());
  // a is first in order; d needs nothing; c waits for a only; b waits for a (sequential).
  EXPECT_EQ(keys, (std::vector<std::string>{"g/a#1", "g/d#1"}));
  h.started("g/d#1");
  run_to_finish(h, "g/a#1");
  keys = Host::run_keys(h.step());
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"g/b#1", "g/c#1"}));
}

TEST(Order, HigherPriorityRunsFirstAmongSiblings) {
  Host h;
  h.load(R"(
version: 1
defaults: {run: ["true"]}
goals:
  - id: g
    tasks:
      - {id: low}
      - {id: high, priority: 5}
)");
  h.start("g");
  EXPECT_EQ(Host::run_keys(h.step()), std::vector<std::string>{"g/high#1"});
}

TEST(Order, ReuseRunsOneTaskAtATimeInThePinnedSession) {
  Host h;
  h.load(R"(
version: 1
defaults: {run: ["true"], session_policy: reuse}
goals:
  - id: g
    parallel: true
    tasks: [{id: a}, {id: b}]
)");
  h.start("g");
  auto s = h.step();
  auto runs = Host::actions(s, "run_job");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].at("session").at("workspace").as_string(), "pinned");
  EXPECT_EQ(runs[0].at("session").at("id").as_string(), "g/pinned");
  std::string first(runs[0].at("job_key").as_string());
  h.started(first);
  // b waits: the pinned session is busy with the first task.
  EXPECT_TRUE(Host::run_keys(h.step()).empty());
}

TEST(Order, AutoSpawnsWhenAnotherAgentTaskRunsElseReuses) {
  Host h;
  h.load(R"(
version: 1
defaults: {run: ["true"], session_policy: auto}
goals:
  - id: g
    parallel: true
    tasks: [{id: a}, {id: b}, {id: c}]
)");
  h.start("g");
  auto runs = Host::actions(h.step(), "run_job");
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].at("session").at("workspace").as_string(), "pinned");
  EXPECT_EQ(runs[1].at("session").at("workspace").as_string(), "isolated");
  EXPECT_EQ(runs[2].at("session").at("workspace").as_string(), "isolated");
}

TEST(Order, MaxParallelCapsSpawnedJobsOfAGoal) {
  Host h;
  h.load(R"(
version: 1
defaults: {run: ["true"], session_policy: spawn}
goals:
  - id: g
    parallel: true
    max_parallel: 2
    tasks: [{id: a}, {id: b}, {id: c}, {id: d}]
)");
  h.start("g");
  auto keys = Host::run_keys(h.step());
  ASSERT_EQ(keys.size(), 2u);
  for (auto &k : keys) h.started(k);
  EXPECT_TRUE(Host::run_keys(h.step()).empty());
  h.finish(keys[0]);
  EXPECT_EQ(Host::run_keys(h.step()).size(), 1u);
}

TEST(Order, GlobalMaxParallelCapsAllGoalsTogether) {
  Host h(R"({"limits": {"max_parallel": 3}})");
  h.load(R"(
version: 1
defaults: {run: ["true"], session_policy: spawn}
goals:
  - id: g1
    parallel: true
    tasks: [{id: a}, {id: b}, {id: c}]
  - id: g2
    parallel: true
    tasks: [{id: a}, {id: b}, {id: c}]
)");
  h.start("g1");
  h.start("g2");
  EXPECT_EQ(Host::run_keys(h.step()).size(), 3u);
}

TEST(Order, StepCapacityLimitsNewJobs) {
  Host h;
  h.load(R"(
version: 1
defaults: {run: ["true"], session_policy: spawn}
goals:
  - id: g
    parallel: true
    tasks: [{id: a}, {id: b}, {id: c}]
)");
  h.start("g");
  EXPECT_EQ(Host::run_keys(h.step(R"({"capacity": 1})")).size(), 1u);
}

// Review lesson 4: fan-out of many spawn tasks is a loop, not recursion, and respects the cap.
TEST(Order, TenThousandSpawnSiblingsDispatchIterativelyWithinMaxParallel) {
  Host h(R"({"limits": {"max_parallel": 100000}})");
  std::string yaml =
      "version: 1\ngoals:\n  - id: g\n    parallel: true\n    max_parallel: 10000\n"
      "    run: [\"true\"]\n    session_policy: spawn\n    tasks:\n";
  for (int i = 0; i < 10000; ++i) yaml += "      - {id: t" + std::to_string(i) + "}\n";
  h.load(yaml);
  h.start("g");
  auto keys = Host::run_keys(h.step());
  EXPECT_EQ(keys.size(), 10000u);
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 10000u);
}

TEST(Order, GateDoesNotOccupyThePinnedSession) {
  Host h;
  h.load(R"(
version: 1
defaults: {run: ["true"], session_policy: reuse}
goals:
  - id: g
    parallel: true
    tasks:
      - {id: wait, wait_for: {type: human_approval, key: k}}
      - {id: work}
)");
  h.start("g");
  auto s = h.step();
  EXPECT_EQ(Host::run_keys(s), std::vector<std::string>{"g/work#1"});
  EXPECT_EQ(h.status_of("g", "wait"), "active");
}

TEST(Order, CapacityBoundsReofferedJobsAsWellAsNewOnes) {
  Host h(R"({"limits": {"max_parallel": 100}})");
  std::string yaml =
      "version: 1\ngoals:\n  - id: g\n    parallel: true\n    run: [\"true\"]\n"
      "    session_policy: spawn\n    tasks:\n";
  for (int i = 0; i < 20; ++i) yaml += "      - {id: t" + std::to_string(i) + "}\n";
  h.load(yaml);
  h.start("g");
  auto first = Host::run_keys(h.step(R"({"capacity": 5})"));
  ASSERT_EQ(first.size(), 5u);
  // Nothing was started: the same five come again, and nothing new joins them.
  auto again = Host::run_keys(h.step(R"({"capacity": 5})"));
  EXPECT_EQ(std::set<std::string>(again.begin(), again.end()),
            std::set<std::string>(first.begin(), first.end()));
  h.started(first[0]);
  h.started(first[1]);
  EXPECT_EQ(Host::run_keys(h.step(R"({"capacity": 5})")).size(), 5u);
}
