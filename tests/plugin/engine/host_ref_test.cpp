// The host's name for a job (ABI 1.2): "started" may carry a "host_ref" (a CI build's id or URL)
// that status, tree, task and the job_started event show, so a person finds the build that runs
// a task. A new attempt forgets the last one's; a bad one is refused and changes nothing.
#include <gtest/gtest.h>

#include "harness.hpp"

using namespace gktest;

namespace {

const char *kOne = R"(
version: 1
defaults: {run: ["./agent.sh"], session_policy: spawn, max_retries: 1}
goals:
  - id: g
    tasks: [{id: a}]
)";

const json::object *active_entry(const json::object &status, const std::string &task) {
  for (const auto &a : status.at("active").as_array())
    if (a.as_object().at("task_id").as_string() == task) return &a.as_object();
  return nullptr;
}

std::string host_ref_of_started_event(Host &h) {
  auto r = h.query(R"({"what":"events","goal_id":"g","limit":1000})");
  std::string ref = "(none)";
  for (const auto &e : r.at("events").as_array())
    if (e.at("kind").as_string() == "job_started") {
      const auto &data = e.at("data").as_object();
      ref = data.contains("host_ref") ? std::string(data.at("host_ref").as_string()) : "";
    }
  return ref;
}

}  // namespace

TEST(HostRef, StartedHostRefShowsInStatusTreeTaskAndEvents) {
  Host h;
  h.load(kOne);
  h.start("g");
  h.step();
  h.event("g/a#1", R"({"type":"started","host_ref":"https://ci.example/job/gk-session/7/"})");
  const std::string ref = "https://ci.example/job/gk-session/7/";
  const json::object status = h.goal_status("g");
  const json::object *a = active_entry(status, "a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->at("host_ref").as_string(), ref);
  EXPECT_EQ(h.task("g", "a").at("host_ref").as_string(), ref);
  auto tree = h.query(R"({"what":"tree","goal_id":"g"})");
  EXPECT_EQ(tree.at("tree").at("children").at(0).at("host_ref").as_string(), ref);
  EXPECT_EQ(host_ref_of_started_event(h), ref);
  // It stays after the job ends: which build ran the task.
  h.finish("g/a#1", 0);
  EXPECT_EQ(h.task("g", "a").at("host_ref").as_string(), ref);
}

TEST(HostRef, ANewAttemptForgetsTheLastAttemptsHostRef) {
  Host h;
  h.load(kOne);
  h.start("g");
  h.step();
  h.event("g/a#1", R"({"type":"started","host_ref":"build-41"})");
  h.finish("g/a#1", 1);  // retried as attempt 2
  ASSERT_EQ(Host::run_keys(h.step()), std::vector<std::string>{"g/a#2"});
  EXPECT_FALSE(h.task("g", "a").contains("host_ref"));
  h.started("g/a#2");
  const json::object status = h.goal_status("g");
  ASSERT_NE(active_entry(status, "a"), nullptr);
  EXPECT_FALSE(active_entry(status, "a")->contains("host_ref"));
  EXPECT_EQ(host_ref_of_started_event(h), "") << "a start without a ref records none";
}

TEST(HostRef, AHostRefSurvivesReopeningTheState) {
  TempDir dir;
  auto state = dir.path() / "state.db";
  {
    Host h(state, "{}");
    h.load(kOne);
    h.start("g");
    h.step();
    h.event("g/a#1", R"({"type":"started","host_ref":"buildbot:sessions/12"})");
  }
  Host again(state, "{}");
  EXPECT_EQ(again.task("g", "a").at("host_ref").as_string(), "buildbot:sessions/12");
}

TEST(HostRef, ABadHostRefIsRefusedAndChangesNothing) {
  Host h;
  h.load(kOne);
  h.start("g");
  h.step();
  const char *bad[] = {
      R"({"type":"started","host_ref":"https://jenkins:s3cret@ci.example/job/7/"})",
      R"({"type":"started","host_ref":"https://token@ci.example/"})",
      R"({"type":"started","host_ref":"line\nbreak"})",
      R"({"type":"started","host_ref":""})",
      R"({"type":"started","host_ref":7})",
      R"({"type":"heartbeat","host_ref":"build-1"})",
  };
  for (const char *ev : bad) {
    EXPECT_EQ(h.event_status("g/a#1", ev), GK_ERR_INVALID) << ev;
    EXPECT_NE(last_error().find("host_ref"), std::string::npos) << last_error();
    EXPECT_EQ(last_error().find("s3cret"), std::string::npos) << "no secret in the message";
  }
  EXPECT_EQ(h.task("g", "a").at("status").as_string(), "active");
  EXPECT_EQ(Host::run_keys(h.step()), std::vector<std::string>{"g/a#1"})
      << "a refused start leaves the job offered";
  std::string long_ref(2049, 'x');
  EXPECT_EQ(h.event_status("g/a#1", R"({"type":"started","host_ref":")" + long_ref + "\"}"),
            GK_ERR_INVALID);
  // An address with an @ in its path is not a credential.
  h.event("g/a#1", R"({"type":"started","host_ref":"https://ci.example/users/@me/7"})");
  EXPECT_EQ(h.task("g", "a").at("host_ref").as_string(), "https://ci.example/users/@me/7");
}
