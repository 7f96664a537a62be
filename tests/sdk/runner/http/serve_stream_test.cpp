// The streamed endpoints of `goalkeeper serve` end to end: GET /api/events/stream and
// GET /api/jobs/KEY/log, read as Server-Sent Events off a raw socket.
#include <gtest/gtest.h>

#include <set>

#include "serve_support.hpp"
#include "sse_client.hpp"

namespace gkserve {
namespace {

namespace rt = gk::runner_test;
using namespace std::chrono_literals;

constexpr const char *kTwoGoals = R"(version: 1
goals:
  - id: alpha
    tasks:
      - id: one
        run: ["true"]
      - id: wait
        wait_for: {type: human_approval, key: go-alpha}
  - id: beta
    tasks:
      - id: two
        run: ["true"]
)";

// The events of GET /api/events (all of them, or one goal's), as the stream should send them.
std::vector<json::value> logged_events(const Serve &s, const std::string &goal = "") {
  auto r = http("GET", s.url("/api/events?limit=10000" + (goal.empty() ? "" : "&goal=" + goal)),
                {bearer()});
  if (r.status != 200) return {};
  const json::value answer = r.json();
  std::vector<json::value> out;
  for (const auto &e : answer.at("events").as_array()) out.push_back(e);
  return out;
}

std::string id_of(const json::value &e) {
  return std::to_string(e.at("id").as_int64());
}

// Serve with kTwoGoals, once beta finished and alpha waits at its gate.
struct TwoGoals {
  TempDir dir;
  std::optional<Serve> serve;
  TwoGoals() {
    ServeOptions o;
    o.goal_yaml = kTwoGoals;
    serve.emplace(dir, o);
  }
  bool settled() {
    return serve->ready() && rt::eventually(
                                 [&] {
                                   return goal_state(*serve, "beta") == "finished" &&
                                          task_status(*serve, "alpha", "wait") == "active";
                                 },
                                 20s);
  }
};

TEST(ServeStream, EventsStreamDeliversTheEventLogInOrderWithIds) {
  TwoGoals g;
  ASSERT_TRUE(g.settled()) << g.serve->err();
  Serve &s = *g.serve;
  const auto logged = logged_events(s);
  ASSERT_GT(logged.size(), 3u);
  StreamClient c(s.port(), "/api/events/stream", {bearer()});
  ASSERT_TRUE(c.read_until([&] { return c.events().size() >= logged.size(); }, 5s)) << c.bytes();
  EXPECT_EQ(c.status(), 200);
  EXPECT_NE(c.head().find("text/event-stream"), std::string::npos) << c.head();
  const auto got = c.events();
  for (size_t i = 0; i < logged.size(); ++i) {
    EXPECT_EQ(got[i].id, id_of(logged[i])) << i;
    EXPECT_EQ(got[i].event, std::string(logged[i].at("kind").as_string())) << i;
    EXPECT_EQ(json::parse(got[i].data), logged[i]) << got[i].data;
  }
  // A change made while the stream is open arrives on it.
  auto approve = http("POST", s.url("/api/signals/resolve"), {bearer()},
                      R"({"type":"human_approval","key":"go-alpha","status":"pass"})");
  ASSERT_EQ(approve.status, 200) << approve.body;
  ASSERT_TRUE(c.read_until(
      [&] {
        for (const auto &e : c.events())
          if (e.data.find("\"wait\"") != std::string::npos &&
              e.data.find("\"done\"") != std::string::npos)
            return true;
        return false;
      },
      10s))
      << c.body();
  std::set<std::string> ids;
  int64_t previous = 0;
  for (const auto &e : c.events()) {
    EXPECT_TRUE(ids.insert(e.id).second) << "event " << e.id << " sent twice";
    EXPECT_GT(std::stoll(e.id), previous);
    previous = std::stoll(e.id);
  }
  EXPECT_FALSE(c.closed());
  EXPECT_EQ(s.stop(), 0) << s.err();
}

TEST(ServeStream, AStreamResumesAfterLastEventIdWithoutRepeats) {
  TwoGoals g;
  ASSERT_TRUE(g.settled()) << g.serve->err();
  Serve &s = *g.serve;
  const auto logged = logged_events(s);
  ASSERT_GT(logged.size(), 3u);
  const size_t seen = logged.size() / 2;
  const std::string last = id_of(logged[seen - 1]);
  StreamClient c(s.port(), "/api/events/stream?after=0", {bearer(), "Last-Event-ID: " + last});
  ASSERT_TRUE(c.read_until([&] { return c.events().size() >= logged.size() - seen; }, 5s))
      << c.bytes();
  c.read_for(500ms);  // nothing more comes
  const auto got = c.events();
  ASSERT_EQ(got.size(), logged.size() - seen) << c.body();
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].id, id_of(logged[seen + i]));
  // ?after does the same for a first connection.
  StreamClient q(s.port(), "/api/events/stream?after=" + last, {bearer()});
  ASSERT_TRUE(q.read_until([&] { return q.events().size() >= got.size(); }, 5s)) << q.bytes();
  EXPECT_EQ(q.events().front().id, got.front().id);
  EXPECT_EQ(s.stop(), 0) << s.err();
}

TEST(ServeStream, EventsStreamNeedsTheTokenAndFiltersByGoal) {
  TwoGoals g;
  ASSERT_TRUE(g.settled()) << g.serve->err();
  Serve &s = *g.serve;
  auto none = http("GET", s.url("/api/events/stream"), {}, "", 3000);
  EXPECT_EQ(none.status, 401) << none.body << none.error;
  EXPECT_TRUE(none.json().as_object().contains("error"));
  auto bad = http("GET", s.url("/api/events/stream"), {bearer("wrong")}, "", 3000);
  EXPECT_EQ(bad.status, 401) << bad.body;
  auto unknown = http("GET", s.url("/api/events/stream?goal=nope"), {bearer()}, "", 3000);
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  auto bad_id = http("GET", s.url("/api/events/stream"), {bearer(), "Last-Event-ID: x1"}, "", 3000);
  EXPECT_EQ(bad_id.status, 400) << bad_id.body;

  const auto beta = logged_events(s, "beta");
  ASSERT_FALSE(beta.empty());
  StreamClient c(s.port(), "/api/events/stream?goal=beta", {bearer()});
  ASSERT_TRUE(c.read_until([&] { return c.events().size() >= beta.size(); }, 5s)) << c.bytes();
  c.read_for(400ms);
  const auto got = c.events();
  ASSERT_EQ(got.size(), beta.size()) << c.body();
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].id, id_of(beta[i]));
    EXPECT_EQ(json::parse(got[i].data).at("goal_id").as_string(), "beta");
  }
  EXPECT_EQ(s.stop(), 0) << s.err();
}

TEST(ServeStream, SigtermEndsOpenStreamsAndServeExitsZero) {
  TwoGoals g;
  ASSERT_TRUE(g.settled()) << g.serve->err();
  Serve &s = *g.serve;
  StreamClient c(s.port(), "/api/events/stream", {bearer()});
  ASSERT_TRUE(c.read_until([&] { return !c.events().empty(); }, 5s)) << c.bytes();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(s.stop(), 0) << s.err();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  ASSERT_TRUE(c.read_until([&] { return c.closed(); }, 3s));
  EXPECT_TRUE(c.last_chunk()) << c.bytes();
}

TEST(ServeStream, TheLogStreamTailsAndFollowsARunningJobAndEndsWhenItFinishes) {
  TempDir dir;
  ServeOptions o;
  o.goal_yaml = R"(version: 1
goals:
  - id: logs
    tasks:
      - id: talk
        run: ["sh", "-c", "for i in 1 2 3 4 5; do echo early-$i; done; echo token=$GK_SERVE_TEST_GITHUB_TOKEN; sleep 2; echo later-1; sleep 1; printf 'later-2'"]
)";
  o.config = {{"github", {{"token_env", kGitHubTokenEnv}}}};
  Serve s(dir, o);
  ASSERT_TRUE(s.ready()) << s.err();
  const fs::path log = dir / ".goalkeeper" / "logs" / "logs" / "talk#1.log";
  ASSERT_TRUE(
      rt::eventually([&] { return rt::read(log).find("token=") != std::string::npos; }, 15s))
      << s.out() << s.err();
  ASSERT_EQ(rt::read(log).find("later-1"), std::string::npos) << "the job ran ahead of the test";
  StreamClient c(s.port(), "/api/jobs/logs/talk%231/log?tail=2", {bearer()});
  ASSERT_TRUE(c.read_until([&] { return c.events().size() >= 2; }, 5s)) << c.bytes();
  auto got = c.events();
  EXPECT_EQ(got[0].event, "line");
  EXPECT_EQ(got[0].data, "early-5");
  EXPECT_EQ(got[1].data, "token=[redacted]") << "the GitHub token left serve";
  EXPECT_FALSE(c.closed());
  ASSERT_TRUE(c.read_until([&] { return c.closed(); }, 15s)) << c.body();
  EXPECT_TRUE(c.last_chunk());
  got = c.events();
  ASSERT_EQ(got.size(), 5u) << c.body();
  EXPECT_EQ(got[2].data, "later-1");
  EXPECT_EQ(got[3].data, "later-2");  // the last line, though it has no newline
  EXPECT_EQ(got[4].event, "end");
  EXPECT_EQ(json::parse(got[4].data).at("job_key").as_string(), "logs/talk#1");
  EXPECT_EQ(c.body().find("test-github-token"), std::string::npos);

  // A finished job's log: the tail and the end at once; the key as one segment works too.
  StreamClient done(s.port(), "/api/jobs/logs%2Ftalk%231/log?tail=1", {bearer()});
  ASSERT_TRUE(done.read_until([&] { return done.closed(); }, 5s)) << done.bytes();
  got = done.events();
  ASSERT_EQ(got.size(), 2u) << done.body();
  EXPECT_EQ(got[0].data, "later-2");
  EXPECT_EQ(got[1].event, "end");

  auto unknown = http("GET", s.url("/api/jobs/logs/nope%231/log"), {bearer()}, "", 3000);
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_TRUE(unknown.json().as_object().contains("error"));
  auto not_a_key = http("GET", s.url("/api/jobs/..%2F..%2Fetc/log"), {bearer()}, "", 3000);
  EXPECT_EQ(not_a_key.status, 404) << not_a_key.body;
  auto no_token = http("GET", s.url("/api/jobs/logs/talk%231/log"), {}, "", 3000);
  EXPECT_EQ(no_token.status, 401) << no_token.body;
  EXPECT_EQ(s.stop(), 0) << s.err();
}

}  // namespace
}  // namespace gkserve
