// Merge tasks inside the engine, against the fake GitHub over loopback: the plugin merges at the
// head the gates approved, sends the gates back when the head moved, waits while GitHub computes
// mergeability, blocks with GitHub's own words on a refusal, and sends nothing in a dry run.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include "engine_with_fake.hpp"

namespace {

namespace json = boost::json;
using gktest::kToken;
using ::testing::HasSubstr;

const char *kGoal = R"(version: 1
goals:
  - id: land
    tasks:
      - id: ci
        wait_for: {type: gh_ci, repo: octo/app, pr: 12}
      - id: review
        wait_for: {type: gh_review, repo: octo/app, pr: 12}
      - id: merge
        merge: {repo: octo/app, pr: "12", method: squash, update_branch: true, delete_branch: true}
)";

gkfake::PullState green(const std::string &sha) {
  gkfake::PullState pr;
  pr.head_sha = sha;
  pr.checks = {{"build", "completed", "success", ""}};
  pr.review_decision = "APPROVED";
  pr.reviews = {{"alice", "APPROVED", "ship it"}};
  return pr;
}

const std::string kA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1";
const std::string kB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2";

struct Harness : gktest::EngineWithFake {
  using EngineWithFake::EngineWithFake;
  void begin() {
    engine->load(kGoal, "land.yaml");
    engine->start("land", {});
  }
  std::string task_status(const std::string &task) { return status_of("land", task); }
  std::string drive(int steps) { return drive_goal(steps); }
  std::string events() { return events_of("land"); }
  std::vector<gkfake::Mutation> merges() { return mutations_ending("/merge"); }
};

TEST(MergeTask, MergesAtTheApprovedHeadAndDeletesTheBranch) {
  Harness h;
  h.fake.set_pull("octo/app", 12, green(kA));
  h.begin();
  EXPECT_EQ(h.drive(20), "done");
  auto merges = h.merges();
  ASSERT_EQ(merges.size(), 1u);
  json::object body = json::parse(merges[0].body).as_object();
  EXPECT_EQ(body.at("sha").as_string(), kA);
  EXPECT_EQ(body.at("merge_method").as_string(), "squash");
  EXPECT_TRUE(h.fake.pull("octo/app", 12).merged);
  EXPECT_EQ(h.fake.deleted_branches("octo/app"), std::vector<std::string>{"new-topic"});
  json::object merge =
      h.engine->query({{"what", "task"}, {"goal_id", "land"}, {"task_id", "merge"}});
  EXPECT_EQ(merge.at("artifacts").at("by").as_string(), "goalkeeper");
  EXPECT_EQ(h.events().find(kToken), std::string::npos);
}

TEST(MergeTask, AHeadThatMovedAfterTheGatesSendsThemBackAndMergesTheNewHeadOnce) {
  Harness h;
  h.fake.set_pull("octo/app", 12, green(kA));
  h.begin();
  // Until both gates passed on A (the merge task is then active).
  for (int i = 0; i < 20 && h.task_status("review") != "done"; ++i) {
    h.engine->step({{"time_budget_ms", 3000}});
    h.now += 2'500;
  }
  ASSERT_EQ(h.task_status("review"), "done");
  ASSERT_TRUE(h.merges().empty());
  h.fake.set_pull("octo/app", 12, green(kB));  // someone pushed
  EXPECT_EQ(h.drive(30), "done");
  auto merges = h.merges();
  ASSERT_EQ(merges.size(), 1u) << "nothing merges twice";
  EXPECT_EQ(json::parse(merges[0].body).at("sha").as_string(), kB);
  EXPECT_THAT(h.events(), HasSubstr("gate_recheck"));
}

TEST(MergeTask, MergeableNullIsReadAgainAndNeverARefusal) {
  Harness h;
  gkfake::PullState pr = green(kA);
  pr.unknown_mergeable_reads = 3;
  h.fake.set_pull("octo/app", 12, pr);
  h.begin();
  EXPECT_EQ(h.drive(40), "done");
  EXPECT_EQ(h.merges().size(), 1u);
}

TEST(MergeTask, ARefusedMergeBlocksTheTaskWithGitHubsMessage) {
  Harness h;
  gkfake::PullState pr = green(kA);
  pr.merge_refusal_status = 405;
  pr.merge_message = "Required status check \"unit-tests\" is failing.";
  h.fake.set_pull("octo/app", 12, pr);
  h.begin();
  h.drive(20);
  EXPECT_EQ(h.task_status("merge"), "blocked");
  json::object t = h.engine->query({{"what", "task"}, {"goal_id", "land"}, {"task_id", "merge"}});
  EXPECT_THAT(std::string(t.at("reason").as_string()),
              HasSubstr("Required status check \"unit-tests\" is failing."));
  EXPECT_EQ(h.merges().size(), 1u) << "a refusal is not retried by itself";
}

TEST(MergeTask, BehindTheBaseUpdatesTheBranchAndTheGatesCheckTheNewHead) {
  Harness h;
  gkfake::PullState pr = green(kA);
  pr.mergeable_state = "behind";
  h.fake.set_pull("octo/app", 12, pr);
  h.begin();
  for (int i = 0; i < 30; ++i) {
    h.engine->step({{"time_budget_ms", 3000}});
    h.now += 2'500;
    gkfake::PullState now = h.fake.pull("octo/app", 12);
    if (now.head_sha != kA && now.checks.empty()) {  // the update made a new head: CI runs on it
      now.checks = {{"build", "completed", "success", ""}};
      h.fake.set_pull("octo/app", 12, now);
    }
  }
  auto all = h.fake.mutations();
  ASSERT_FALSE(all.empty());
  EXPECT_TRUE(all[0].path.ends_with("/update-branch")) << all[0].path;
  EXPECT_EQ(json::parse(all[0].body).at("expected_head_sha").as_string(), kA);
  auto merges = h.merges();
  ASSERT_EQ(merges.size(), 1u);
  EXPECT_NE(json::parse(merges[0].body).at("sha").as_string(), kA);
  EXPECT_EQ(h.task_status("merge"), "done");
}

TEST(MergeTask, ADryRunSendsNoMutationAndSaysWhatItWouldDo) {
  Harness h(true);
  h.fake.set_pull("octo/app", 12, green(kA));
  h.begin();
  h.drive(10);
  EXPECT_TRUE(h.fake.mutations().empty());
  EXPECT_EQ(h.task_status("merge"), "active");
  EXPECT_THAT(h.events(), HasSubstr("would merge octo/app#12 (squash) at " + kA));
}

TEST(MergeTask, AMergeWhoseAnswerWasLostIsStillKnownAsOurs) {
  Harness h;
  h.fake.set_pull("octo/app", 12, green(kA));
  h.begin();
  for (int i = 0; i < 20 && h.task_status("review") != "done"; ++i) {
    h.engine->step({{"time_budget_ms", 3000}});
    h.now += 2'500;
  }
  // The merge task's first poll records the head it will merge; the merge goes out at the next.
  h.engine->step({{"time_budget_ms", 3000}});
  ASSERT_TRUE(h.merges().empty());
  // As if that merge was sent and GitHub took it, but the answer never came back.
  gkfake::PullState merged = green(kA);
  merged.state = "closed";
  merged.merged = true;
  merged.merge_commit_sha = "dddddddddddddddddddddddddddddddddddddd33";
  h.fake.set_pull("octo/app", 12, merged);
  EXPECT_EQ(h.drive(5), "done");
  EXPECT_TRUE(h.merges().empty());
  json::object t = h.engine->query({{"what", "task"}, {"goal_id", "land"}, {"task_id", "merge"}});
  EXPECT_EQ(t.at("artifacts").at("by").as_string(), "goalkeeper");
}

TEST(MergeTask, AClosedPullRequestBlocksTheMerge) {
  Harness h;
  gkfake::PullState pr = green(kA);
  h.fake.set_pull("octo/app", 12, pr);
  h.begin();
  for (int i = 0; i < 20 && h.task_status("review") != "done"; ++i) {
    h.engine->step({{"time_budget_ms", 3000}});
    h.now += 2'500;
  }
  pr.state = "closed";
  h.fake.set_pull("octo/app", 12, pr);
  h.drive(5);
  EXPECT_EQ(h.task_status("merge"), "blocked");
  EXPECT_TRUE(h.merges().empty());
}

}  // namespace
