// The gate runtime keeps the JSON shape the store holds and gk_query shows.
#include "core/gate_runtime.hpp"

#include <gtest/gtest.h>

namespace gk {
namespace {

namespace json = boost::json;

TEST(GateRuntime, RoundTripsTheStoredShape) {
  const json::object stored = json::parse(R"({
    "config": {"type": "compound", "all": [{"type": "gh_ci", "repo": "a/b", "pr": 1},
                                          {"type": "human_approval", "key": "k"}]},
    "activated_ms": 10,
    "parts": {"all.1": {"status": "pass", "artifacts": {"by": "ann"}}},
    "deadline_ms": 99,
    "polls": {"all.0": {"next_ms": 20, "memo": {"head": "abc"}, "nudged_ms": 15}}})")
                                  .as_object();
  GateRuntime g = GateRuntime::from_json(stored);
  EXPECT_TRUE(g.active);
  EXPECT_EQ(g.deadline_ms, 99);
  ASSERT_EQ(g.polls.count("all.0"), 1u);
  EXPECT_EQ(g.polls["all.0"].nudged_ms, 15);
  EXPECT_EQ(json::value(g.to_json()), json::value(stored));
  // One part decided: the other waits, and the verdict waits with it.
  ASSERT_EQ(g.undecided().size(), 1u);
  EXPECT_EQ(g.undecided()[0].path, "all.0");
  EXPECT_EQ(g.verdict(), Verdict::wait);
  g.parts["all.0"] = GatePart{true, {}};
  EXPECT_EQ(g.verdict(), Verdict::pass);
}

TEST(GateRuntime, AnInactiveGateIsAnEmptyObject) {
  EXPECT_TRUE(GateRuntime{}.to_json().empty());
  EXPECT_FALSE(GateRuntime::from_json({}).active);
}

}  // namespace
}  // namespace gk
