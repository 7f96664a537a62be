// Scheduled discovery inside the engine, against the fake GitHub's search over loopback: one goal
// per matching pull request, made once; a pull request that stops matching pauses its goal and
// resumes it when it matches again; one closed or merged outside ends its goal as "closed"; a dry
// run changes nothing; a failed search changes nothing; gk_step searches when a trigger is due.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ctime>

#include "core/error.hpp"
#include "engine_with_fake.hpp"

namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

const char *kFile = R"(version: 1
templates:
  - id: shepherd
    params:
      repo: {type: string, required: true}
      pr: {type: integer, required: true}
      title: {type: string, default: ""}
    tasks:
      - id: ok
        wait_for: {type: human_approval, repo: "{{ params.repo }}", pr: "{{ params.pr }}"}
triggers:
  - id: labelled
    discover:
      query: "repo:acme/shop is:pr is:open label:gk-shepherd -label:hold"
      template: shepherd
      params: {repo: "{{ pr.repo }}", pr: "{{ pr.number }}", title: "{{ pr.title }}"}
      every: 1m
      max_goals: MAX
)";

std::string file(int max_goals = 20) {
  std::string s = kFile;
  s.replace(s.find("MAX"), 3, std::to_string(max_goals));
  return s;
}

std::string iso_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

gkfake::PullState pull(std::vector<std::string> labels, const std::string &title) {
  gkfake::PullState p;
  p.labels = std::move(labels);
  p.title = title;
  return p;
}

struct Discovery : gktest::EngineWithFake {
  using EngineWithFake::EngineWithFake;
  Discovery() {
    fake.set_pull("acme/shop", 11, pull({"gk-shepherd"}, "Fix the cart"));
    fake.set_pull("acme/shop", 12, pull({"gk-shepherd", "hold"}, "Held"));
    fake.set_pull("acme/shop", 13, pull({}, "Unlabelled"));
    fake.set_pull("acme/shop", 14, pull({"gk-shepherd"}, "Faster checkout"));
  }
  // action by pull request of one forced cycle
  std::map<std::string, json::object> cycle(bool dry_run = false) {
    json::array triggers = engine->discover({{"force", true}, {"dry_run", dry_run}}, 10'000);
    EXPECT_EQ(triggers.size(), 1u);
    std::map<std::string, json::object> by_pr;
    if (triggers.empty()) return by_pr;
    last = triggers[0].as_object();
    for (const auto &a : last.at("actions").as_array())
      by_pr[std::string(a.at("pr").as_string())] = a.as_object();
    return by_pr;
  }
  json::object goal(const std::string &id) {
    json::object status = engine->query({{"what", "status"}});
    for (const auto &g : status.at("goals").as_array())
      if (g.at("goal_id").as_string() == id) return g.as_object();
    return {};
  }
  size_t goals() { return engine->query({{"what", "status"}}).at("goals").as_array().size(); }
  json::object last;
};

TEST(Discovery, EachMatchingPullRequestGetsOneGoalMadeOnce) {
  Discovery h;
  h.engine->load(file(), "shop.yaml");
  auto first = h.cycle();
  ASSERT_EQ(first.size(), 2u) << json::serialize(h.last);
  EXPECT_EQ(first.at("acme/shop#11").at("action").as_string(), "create");
  EXPECT_EQ(first.at("acme/shop#14").at("action").as_string(), "create");
  std::string id(first.at("acme/shop#11").at("goal_id").as_string());
  EXPECT_TRUE(id.starts_with("shepherd-shop-11-")) << id;
  json::object g = h.goal(id);
  EXPECT_EQ(g.at("state").as_string(), "running");
  EXPECT_EQ(g.at("pr").as_string(), "acme/shop#11");
  EXPECT_EQ(h.goals(), 2u);

  auto second = h.cycle();
  EXPECT_EQ(second.at("acme/shop#11").at("action").as_string(), "exists");
  EXPECT_EQ(second.at("acme/shop#14").at("action").as_string(), "exists");
  EXPECT_EQ(h.goals(), 2u);
  // Loading the file again lists the discovered goals, so `run FILE` drives them.
  json::object loaded = h.engine->load(file(), "shop.yaml");
  EXPECT_EQ(loaded.at("instances").as_array().size(), 2u);
}

TEST(Discovery, APullRequestThatStopsMatchingPausesAndResumes) {
  Discovery h;
  h.engine->load(file(), "shop.yaml");
  std::string id(h.cycle().at("acme/shop#14").at("goal_id").as_string());
  h.fake.set_pull("acme/shop", 14, pull({}, "Faster checkout"));  // label removed
  auto paused = h.cycle();
  ASSERT_TRUE(paused.contains("acme/shop#14")) << json::serialize(h.last);
  EXPECT_EQ(paused.at("acme/shop#14").at("action").as_string(), "pause");
  EXPECT_EQ(h.goal(id).at("state").as_string(), "paused");
  EXPECT_EQ(h.goal(id).at("paused_by").as_string(), "discovery");
  h.fake.set_pull("acme/shop", 14, pull({"gk-shepherd"}, "Faster checkout"));
  EXPECT_EQ(h.cycle().at("acme/shop#14").at("action").as_string(), "resume");
  EXPECT_EQ(h.goal(id).at("state").as_string(), "running");
}

TEST(Discovery, APullRequestClosedOrMergedOutsideEndsItsGoalAsClosed) {
  Discovery h;
  h.engine->load(file(), "shop.yaml");
  auto made = h.cycle();
  std::string closed_id(made.at("acme/shop#11").at("goal_id").as_string());
  std::string merged_id(made.at("acme/shop#14").at("goal_id").as_string());
  gkfake::PullState closed = pull({"gk-shepherd"}, "Fix the cart");
  closed.state = "closed";
  closed.updated_at = closed.closed_at = iso_now();
  h.fake.set_pull("acme/shop", 11, closed);
  gkfake::PullState merged = pull({"gk-shepherd"}, "Faster checkout");
  merged.state = "closed";
  merged.merged = true;
  merged.updated_at = merged.closed_at = merged.merged_at = iso_now();
  h.fake.set_pull("acme/shop", 14, merged);
  auto ended = h.cycle();
  EXPECT_EQ(ended.at("acme/shop#11").at("action").as_string(), "stop");
  EXPECT_EQ(ended.at("acme/shop#11").at("reason").as_string(), "pull request closed");
  EXPECT_EQ(ended.at("acme/shop#14").at("reason").as_string(), "merged outside goalkeeper");
  json::object g = h.goal(closed_id);
  EXPECT_EQ(g.at("state").as_string(), "finished");
  EXPECT_EQ(g.at("status").as_string(), "closed");
  EXPECT_EQ(g.at("reason").as_string(), "pull request closed");
  // The step that follows announces the end, as "closed".
  json::object s = h.engine->step({});
  int finished = 0;
  for (const auto &a : s.at("actions").as_array())
    if (a.at("type") == "goal_finished") {
      ++finished;
      EXPECT_EQ(a.at("status").as_string(), "closed");
    }
  EXPECT_EQ(finished, 2);
  EXPECT_EQ(h.engine->query({{"what", "status"}}).at("goals").as_array().size(), 2u);
  // A closed goal is not resumed or remade.
  EXPECT_TRUE(h.cycle().empty()) << json::serialize(h.last);
}

TEST(Discovery, APausedGoalWhosePullRequestIsThenClosedEndsAsClosed) {
  Discovery h;
  h.engine->load(file(), "shop.yaml");
  std::string id(h.cycle().at("acme/shop#14").at("goal_id").as_string());
  h.fake.set_pull("acme/shop", 14, pull({}, "Faster checkout"));  // label removed: paused
  EXPECT_EQ(h.cycle().at("acme/shop#14").at("action").as_string(), "pause");
  gkfake::PullState closed = pull({}, "Faster checkout");
  closed.state = "closed";
  closed.updated_at = closed.closed_at = iso_now();
  h.fake.set_pull("acme/shop", 14, closed);
  EXPECT_EQ(h.cycle().at("acme/shop#14").at("action").as_string(), "stop");
  EXPECT_EQ(h.goal(id).at("status").as_string(), "closed");
}

TEST(Discovery, ADryRunChangesNothing) {
  Discovery h;
  h.engine->load(file(), "shop.yaml");
  auto would = h.cycle(true);
  EXPECT_EQ(would.at("acme/shop#11").at("action").as_string(), "create");
  EXPECT_TRUE(h.last.at("dry_run").as_bool());
  EXPECT_EQ(h.goals(), 0u);
  EXPECT_TRUE(h.fake.mutations().empty());
  // Nothing was scheduled either: the trigger is still due at once.
  EXPECT_EQ(h.engine->discover({}, 10'000).size(), 1u);
}

TEST(Discovery, MaxGoalsBoundsTheUnfinishedGoalsOfATrigger) {
  Discovery h;
  h.engine->load(file(1), "shop.yaml");
  auto first = h.cycle();
  int created = 0, skipped = 0;
  for (auto &[pr, a] : first) {
    created += a.at("action") == "create";
    skipped += a.at("action") == "skip";
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(skipped, 1);
  EXPECT_EQ(h.goals(), 1u);
}

TEST(Discovery, AFailedSearchChangesNothing) {
  Discovery h;
  h.engine->load(file(), "shop.yaml");
  std::string id(h.cycle().at("acme/shop#14").at("goal_id").as_string());
  h.fake.set_pull("acme/shop", 14, pull({}, "Faster checkout"));
  h.fake.set_fault(gkfake::Fault::server_error);
  auto none = h.cycle();
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(h.last.contains("error")) << json::serialize(h.last);
  EXPECT_EQ(h.goal(id).at("state").as_string(), "running") << "never paused on a failed search";
  EXPECT_EQ(json::serialize(h.last).find(gktest::kToken), std::string::npos);
}

TEST(Discovery, StepSearchesWhenATriggerIsDueAndNotBefore) {
  Discovery h;
  h.engine->load(file(), "shop.yaml");
  json::object s = h.engine->step({});
  ASSERT_TRUE(s.contains("discovered")) << json::serialize(s);
  EXPECT_EQ(h.goals(), 2u);
  const int searches = h.fake.requests("/api/graphql") + h.fake.requests("/api/v3/search");
  for (int i = 0; i < 5; ++i) {
    h.now += 5'000;
    EXPECT_FALSE(h.engine->step({}).contains("discovered"));
  }
  EXPECT_EQ(h.fake.requests("/api/graphql") + h.fake.requests("/api/v3/search"), searches);
  h.now += 60'000;
  EXPECT_TRUE(h.engine->step({}).contains("discovered"));
}

TEST(Discovery, APullRequestDeliveryOfAWatchedRepositoryMakesItsTriggersSearchAtTheNextStep) {
  Discovery h;
  h.engine->load(file(), "shop.yaml");
  ASSERT_TRUE(h.engine->step({}).contains("discovered"));
  h.now += 1'000;
  EXPECT_FALSE(h.engine->step({}).contains("discovered")) << "not due for a minute";
  gk::GateNudge other;
  other.delivery = "d-1";
  other.repo = "acme/other";
  other.discovery = true;
  EXPECT_EQ(json::serialize(h.engine->nudge(other).at("discovery")), "[]");
  EXPECT_FALSE(h.engine->step({}).contains("discovered"));
  gk::GateNudge labeled = other;
  labeled.delivery = "d-2";
  labeled.repo = "ACME/shop";
  EXPECT_EQ(json::serialize(h.engine->nudge(labeled).at("discovery")), "[\"labelled\"]");
  EXPECT_TRUE(h.engine->step({}).contains("discovered"));
  // A redelivery changes nothing.
  EXPECT_FALSE(h.engine->nudge(labeled).contains("discovery"));
  EXPECT_FALSE(h.engine->step({}).contains("discovered"));
}

TEST(Discovery, ATriggerIsCheckedWhereItIsWritten) {
  Discovery h;
  auto error_of = [&](const std::string &yaml) {
    try {
      h.engine->load(yaml, "bad.yaml");
    } catch (const gk::Error &e) {
      return std::string(e.what());
    }
    return std::string("loaded");
  };
  std::string bad = file();
  bad.replace(bad.find("template: shepherd\n      params"), 18, "template: shepherdd");
  EXPECT_THAT(error_of(bad), HasSubstr("no template 'shepherdd' (did you mean 'shepherd'?)"));
  bad = file();
  bad.replace(bad.find("{{ pr.title }}"), 14, "{{ pr.body }}");
  EXPECT_THAT(error_of(bad), HasSubstr("expression {{ pr.body }}: a trigger's params may name"));
  bad = file();
  bad.replace(bad.find("pr: \"{{ pr.number }}\", "), 22, "");
  EXPECT_THAT(error_of(bad), HasSubstr("template 'shepherd' requires param 'pr'"));
  EXPECT_EQ(h.goals(), 0u);
}

}  // namespace
