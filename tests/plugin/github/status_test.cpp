// Status back on the pull request: a discovered goal says on its head what it waits for, on
// transitions only, as the `goalkeeper` context; its own pending status never holds its gh_ci
// gate; a dry run posts nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine_with_fake.hpp"

namespace {

namespace json = boost::json;

const char *kFile = R"(version: 1
templates:
  - id: shepherd
    params:
      repo: {type: string, required: true}
      pr: {type: integer, required: true}
    tasks:
      - id: ci
        title: CI passes
        wait_for: {type: gh_ci, repo: "{{ params.repo }}", pr: "{{ params.pr }}"}
      - id: ok
        title: a person agrees
        wait_for: {type: human_approval, repo: "{{ params.repo }}", pr: "{{ params.pr }}"}
triggers:
  - id: labelled
    discover:
      query: "repo:acme/shop is:pr is:open label:gk-shepherd"
      template: shepherd
      params: {repo: "{{ pr.repo }}", pr: "{{ pr.number }}"}
)";

const std::string kHead = "cccccccccccccccccccccccccccccccccccccc11";

struct Statuses : gktest::EngineWithFake {
  explicit Statuses(bool dry_run = false) : EngineWithFake(dry_run) {
    gkfake::PullState p;
    p.head_sha = kHead;
    p.labels = {"gk-shepherd"};
    p.checks = {{"build", "in_progress", "", ""}};
    fake.set_pull("acme/shop", 11, p);
    engine->load(kFile, "shop.yaml");
  }
  std::vector<json::object> posted() {
    std::vector<json::object> out;
    for (auto &m : mutations_ending("/statuses/" + kHead))
      out.push_back(json::parse(m.body).as_object());
    return out;
  }
  void steps(int n) {
    for (int i = 0; i < n; ++i) {
      engine->step({{"time_budget_ms", 3000}});
      now += 2'500;
    }
  }
};

TEST(CommitStatus, AGoalSaysWhatItWaitsForOnTransitionsOnly) {
  Statuses h;
  h.steps(4);
  auto first = h.posted();
  ASSERT_EQ(first.size(), 1u) << "an unchanged poll posts nothing";
  EXPECT_EQ(first[0].at("context").as_string(), "goalkeeper");
  EXPECT_EQ(first[0].at("state").as_string(), "pending");
  EXPECT_EQ(first[0].at("description").as_string(), "waiting for CI passes");

  // CI passes despite our own pending status on the same commit; the goal then waits on a person.
  gkfake::PullState p = h.fake.pull("acme/shop", 11);
  p.checks = {{"build", "completed", "success", ""}};
  h.fake.set_pull("acme/shop", 11, p);
  h.steps(4);
  auto second = h.posted();
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[1].at("description").as_string(), "waiting for a person agrees");
  h.engine->signal(
      {{"type", "human_approval"}, {"repo", "acme/shop"}, {"pr", 11}, {"status", "pass"}});
  h.steps(2);
  auto last = h.posted();
  ASSERT_EQ(last.size(), 3u);
  EXPECT_EQ(last[2].at("state").as_string(), "success");
  EXPECT_THAT(h.events_of(h.engine->query({{"what", "status"}})
                              .at("goals")
                              .at(0)
                              .at("goal_id")
                              .as_string()
                              .c_str()),
              ::testing::HasSubstr("status_posted"));
}

TEST(CommitStatus, ADryRunPostsNothing) {
  Statuses h(true);
  h.steps(4);
  EXPECT_TRUE(h.posted().empty());
}

}  // namespace
