#include <gtest/gtest.h>

#include "harness.hpp"

using namespace gktest;

TEST(Smoke, SequentialGoalRunsToDone) {
  Host h;
  auto r = h.load(R"(
version: 1
defaults: {run: ["./agent.sh"]}
goals:
  - id: g
    tasks:
      - id: a
      - id: b
)");
  ASSERT_EQ(r.at("goals").as_array().size(), 1u);
  h.start("g");
  auto s = h.step();
  ASSERT_EQ(Host::run_keys(s), std::vector<std::string>{"g/a#1"});
  h.started("g/a#1");
  h.finish("g/a#1");
  s = h.step();
  ASSERT_EQ(Host::run_keys(s), std::vector<std::string>{"g/b#1"});
  h.started("g/b#1");
  h.finish("g/b#1");
  s = h.step();
  auto fin = Host::actions(s, "goal_finished");
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].at("status").as_string(), "done");
}
