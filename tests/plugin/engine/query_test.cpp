// gk_query views: status, tree, task, events.
#include <gtest/gtest.h>

#include "harness.hpp"

using namespace gktest;

namespace {

const char *kTree = R"(
version: 1
defaults: {run: ["true"]}
goals:
  - id: g
    title: Ship it
    params: {who: world}
    tasks:
      - id: build
        parallel: true
        tasks: [{id: x, session_policy: spawn}, {id: y, session_policy: spawn}]
      - {id: greet, prompt: "Say hello to {{ params.who }} after {{ tasks.x.summary }}"}
)";

}  // namespace

TEST(Query, TreeShowsEveryTaskInRunOrderWithDerivedParentStatus) {
  Host h;
  h.load(kTree);
  h.start("g");
  h.step();
  h.started("g/x#1");
  h.finish("g/x#1");
  auto answer = h.query(R"({"what":"tree","goal_id":"g"})");
  EXPECT_EQ(answer.at("state").as_string(), "running");
  auto &tree = answer.at("tree").as_object();
  EXPECT_EQ(tree.at("task_id").as_string(), "g");
  auto &kids = tree.at("children").as_array();
  ASSERT_EQ(kids.size(), 2u);
  EXPECT_EQ(kids[0].at("task_id").as_string(), "build");
  EXPECT_EQ(kids[0].at("status").as_string(), "active") << "y still runs";
  auto &grand = kids[0].at("children").as_array();
  ASSERT_EQ(grand.size(), 2u);
  EXPECT_EQ(grand[0].at("status").as_string(), "done");
  EXPECT_EQ(grand[1].at("status").as_string(), "active");
  EXPECT_EQ(kids[1].at("status").as_string(), "pending");
}

TEST(Query, StatusReportsProgressOverLeaves) {
  Host h;
  h.load(kTree);
  h.start("g");
  h.step();
  h.started("g/x#1");
  h.finish("g/x#1");
  auto st = h.goal_status("g");
  EXPECT_EQ(st.at("title").as_string(), "Ship it");
  EXPECT_EQ(st.at("progress").at("done").as_int64(), 1);
  EXPECT_EQ(st.at("progress").at("total").as_int64(), 3);
}

TEST(Query, PromptTemplatesRenderParamsAndSummariesOfEarlierTasks) {
  Host h;
  h.load(kTree);
  h.start("g");
  h.step();
  h.started("g/x#1");
  h.finish("g/x#1", 0, R"({"status":"done","summary":"the build"})");
  h.started("g/y#1");
  h.finish("g/y#1");
  auto runs = Host::actions(h.step(), "run_job");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].at("prompt").as_string(), "Say hello to world after the build");
}

TEST(Query, EventsPageByIdAndFilterByGoal) {
  Host h;
  h.load(kTree);
  h.start("g");
  h.step();
  auto first = h.query(R"({"what":"events","goal_id":"g","limit":2})");
  ASSERT_EQ(first.at("events").as_array().size(), 2u);
  int64_t last = first.at("last_id").as_int64();
  auto next =
      h.query(R"({"what":"events","goal_id":"g","limit":2,"after":)" + std::to_string(last) + "}");
  ASSERT_FALSE(next.at("events").as_array().empty());
  EXPECT_GT(next.at("events").as_array()[0].at("id").as_int64(), last);
  char *out = nullptr;
  EXPECT_EQ(gk_query(h.plugin, R"({"what":"events","goal_id":"nope"})", &out), GK_ERR_NOT_FOUND);
}
