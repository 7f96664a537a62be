// Gates and signals (docs/design.md "Gates", "Signals", review lessons 5 and 6 at the engine level).
#include <gtest/gtest.h>

#include "harness.hpp"

using namespace gktest;

namespace {

std::vector<std::string> matched(const json::object &r) {
  std::vector<std::string> out;
  for (auto &m : r.at("matched").as_array())
    out.push_back(std::string(m.at("goal_id").as_string()) + "/" +
                  std::string(m.at("task_id").as_string()));
  return out;
}

// Loads one goal whose first task is the gate under test, and activates it.
void gate_goal(Host &h, const std::string &wait_for) {
  h.load(
      "version: 1\ngoals:\n  - id: g\n    params: {repo: Acme/Web, pr: 7}\n    tasks:\n"
      "      - id: gate\n        wait_for: " +
      wait_for + "\n      - {id: after, run: [\"true\"]}\n");
  h.start("g");
  h.step();
  ASSERT_EQ(h.status_of("g", "gate"), "active");
}

}  // namespace

// Review lesson 5: human_approval signals resolve; no accepted type is silently ignored.
TEST(Gates, HumanApprovalResolvesByKey) {
  Host h;
  gate_goal(h, "{type: human_approval, key: ship-it}");
  EXPECT_TRUE(
      matched(h.signal(R"({"type":"human_approval","key":"other","status":"pass"})")).empty());
  EXPECT_EQ(matched(h.signal(R"({"type":"human_approval","key":"ship-it","status":"pass"})")),
            std::vector<std::string>{"g/gate"});
  EXPECT_EQ(h.status_of("g", "gate"), "done");
  EXPECT_EQ(Host::run_keys(h.step()), std::vector<std::string>{"g/after#1"});
}

TEST(Gates, HumanApprovalResolvesByTaskId) {
  Host h;
  gate_goal(h, "{type: human_approval}");
  EXPECT_EQ(matched(h.signal(R"({"type":"human_approval","task_id":"g/gate","status":"pass"})")),
            std::vector<std::string>{"g/gate"});
}

TEST(Gates, HumanApprovalResolvesByRepoAndPr) {
  Host h;
  gate_goal(h, "{type: human_approval, repo: \"{{ params.repo }}\", pr: \"{{ params.pr }}\"}");
  EXPECT_EQ(
      matched(h.signal(R"({"type":"human_approval","repo":"acme/web","pr":7,"status":"pass"})")),
      std::vector<std::string>{"g/gate"});
}

TEST(Gates, GhCiMatchesRepoCaseInsensitivelyAndPrAsANumber) {
  Host h;
  gate_goal(h, "{type: gh_ci, repo: \"{{ params.repo }}\", pr: \"{{ params.pr }}\"}");
  EXPECT_TRUE(
      matched(h.signal(R"({"type":"gh_ci","repo":"acme/web","pr":8,"status":"pass"})")).empty());
  EXPECT_TRUE(matched(h.signal(R"({"type":"gh_review","repo":"acme/web","pr":7,"status":"pass"})"))
                  .empty());
  EXPECT_EQ(matched(h.signal(R"({"type":"gh_ci","repo":"ACME/WEB","pr":"7","status":"pass"})")),
            std::vector<std::string>{"g/gate"});
}

TEST(Gates, GhReviewMatchesByPrUrl) {
  Host h;
  gate_goal(h, "{type: gh_review, repo: acme/web, pr: 7}");
  EXPECT_EQ(
      matched(h.signal(
          R"({"type":"gh_review","pr_url":"https://github.com/acme/web/pull/7","status":"pass"})")),
      std::vector<std::string>{"g/gate"});
}

TEST(Gates, CentaurReviewMatchesByPrUrlOrRepoAndPr) {
  Host h;
  gate_goal(h, "{type: centaur_review, pr_url: \"https://github.com/Acme/Web/pull/7\"}");
  EXPECT_EQ(
      matched(h.signal(R"({"type":"centaur_review","repo":"acme/web","pr":7,"status":"pass"})")),
      std::vector<std::string>{"g/gate"});
}

TEST(Gates, SignalThatMatchesNothingIsReportedNotAnError) {
  Host h;
  gate_goal(h, "{type: gh_ci, repo: acme/web, pr: 7}");
  auto r = h.signal(R"({"type":"gh_ci","repo":"acme/api","pr":7,"status":"pass"})");
  EXPECT_TRUE(r.at("matched").as_array().empty());
  EXPECT_FALSE(r.at("message").as_string().empty());
  EXPECT_EQ(h.status_of("g", "gate"), "active");
}

TEST(Gates, UnknownSignalTypeIsAnErrorAndChangesNothing) {
  Host h;
  gate_goal(h, "{type: human_approval, key: k}");
  char *out = nullptr;
  EXPECT_EQ(gk_signal(h.plugin, R"({"type":"thumbs_up","key":"k","status":"pass"})", &out),
            GK_ERR_INVALID);
  EXPECT_NE(last_error().find("thumbs_up"), std::string::npos);
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(h.status_of("g", "gate"), "active");
}

TEST(Gates, CompoundAllPassesOnlyWhenEveryPartPassed) {
  Host h;
  gate_goal(
      h, "{type: compound, all: [{type: human_approval, key: a}, {type: human_approval, key: b}]}");
  h.signal(R"({"type":"human_approval","key":"a","status":"pass"})");
  EXPECT_EQ(h.status_of("g", "gate"), "active");
  h.signal(R"({"type":"human_approval","key":"b","status":"pass"})");
  EXPECT_EQ(h.status_of("g", "gate"), "done");
}

TEST(Gates, CompoundAnyPassesOnFirstPassAndFailsOnlyWhenAllFail) {
  Host h;
  gate_goal(
      h, "{type: compound, any: [{type: human_approval, key: a}, {type: human_approval, key: b}]}");
  h.signal(R"({"type":"human_approval","key":"a","status":"fail"})");
  EXPECT_EQ(h.status_of("g", "gate"), "active");
  h.signal(R"({"type":"human_approval","key":"b","status":"pass"})");
  EXPECT_EQ(h.status_of("g", "gate"), "done");
}

TEST(Gates, TimeoutFailsTheGateWithReasonTimeout) {
  Host h;
  gate_goal(h, "{type: human_approval, key: k, timeout: 1h}");
  h.now += 3599 * 1000;
  h.step();
  EXPECT_EQ(h.status_of("g", "gate"), "active");
  h.now += 2000;
  h.step();
  EXPECT_EQ(h.status_of("g", "gate"), "failed");
  EXPECT_NE(std::string(h.task("g", "gate").at("reason").as_string()).find("timeout"),
            std::string::npos);
}

TEST(Gates, FailureWithRetriesResetsThePrecedingAgentWithTheFailureInItsPrompt) {
  Host h;
  h.load(R"(
version: 1
defaults: {run: ["true"]}
goals:
  - id: g
    tasks:
      - id: implement
      - id: ci
        wait_for: {type: gh_ci, repo: acme/web, pr: 7}
        max_retries: 2
      - id: ship
)");
  h.start("g");
  h.step();
  h.started("g/implement#1");
  h.finish("g/implement#1");
  h.step();
  ASSERT_EQ(h.status_of("g", "ci"), "active");
  h.signal(R"({"type":"gh_ci","repo":"acme/web","pr":7,"status":"fail",
               "artifacts":{"failed_checks":["lint: failure"]}})");
  EXPECT_EQ(h.status_of("g", "ci"), "pending");
  EXPECT_EQ(h.status_of("g", "implement"), "pending");
  auto ci = h.task("g", "ci");
  EXPECT_TRUE(ci.at("artifacts").as_object().contains("retry_1"));
  auto runs = Host::actions(h.step(), "run_job");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].at("job_key").as_string(), "g/implement#2");
  EXPECT_NE(std::string(runs[0].at("prompt").as_string()).find("lint: failure"), std::string::npos);
  h.started("g/implement#2");
  h.finish("g/implement#2");
  h.step();
  EXPECT_EQ(h.status_of("g", "ci"), "active");
  h.signal(R"({"type":"gh_ci","repo":"acme/web","pr":7,"status":"pass"})");
  EXPECT_EQ(Host::run_keys(h.step()), std::vector<std::string>{"g/ship#1"});
}

TEST(Gates, FailureWithoutRetriesFailsTheGoal) {
  Host h;
  gate_goal(h, "{type: gh_review, repo: acme/web, pr: 7}");
  h.signal(R"({"type":"gh_review","repo":"acme/web","pr":7,"status":"fail"})");
  EXPECT_EQ(h.status_of("g", "gate"), "failed");
  auto fin = Host::actions(h.step(), "goal_finished");
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].at("status").as_string(), "failed");
}

TEST(Gates, MissingTemplateValueBlocksTheGateWithTheReason) {
  Host h;
  h.load(R"(
version: 1
goals:
  - id: g
    tasks:
      - {id: implement, run: ["true"]}
      - id: ci
        wait_for: {type: gh_ci, repo: acme/web, pr: "{{ tasks.implement.artifacts.pr }}"}
)");
  h.start("g");
  h.step();
  h.started("g/implement#1");
  h.finish("g/implement#1");  // no artifacts: the PR number is unknown
  h.step();
  EXPECT_EQ(h.status_of("g", "ci"), "blocked");
  EXPECT_NE(std::string(h.task("g", "ci").at("reason").as_string()).find("pr"), std::string::npos);
}

TEST(Gates, RetryInAParallelGroupRestartsTheGateAndTheAgentTogether) {
  Host h;
  h.load(R"(
version: 1
defaults: {run: ["true"], session_policy: spawn}
goals:
  - id: g
    parallel: true
    tasks:
      - id: implement
      - id: check
        wait_for: {type: human_approval, key: k}
        max_retries: 1
)");
  h.start("g");
  h.step();
  h.started("g/implement#1");
  h.finish("g/implement#1");
  h.signal(R"({"type":"human_approval","key":"k","status":"fail"})");
  EXPECT_EQ(Host::run_keys(h.step()), std::vector<std::string>{"g/implement#2"});
  EXPECT_EQ(h.status_of("g", "check"), "active") << "the gate waits again, not stranded";
}
