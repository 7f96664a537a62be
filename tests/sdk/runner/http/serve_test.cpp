// `goalkeeper serve` end to end: the real command as a process on loopback, driven over HTTP.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>

#include <gtest/gtest.h>

#include "fake_github.hpp"
#include "serve_support.hpp"

namespace gkserve {
namespace {

namespace rt = gk::runner_test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char *kHelloSha = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

// The GitHub checker pointed at the fake, polling so rarely that only a webhook can be quick.
json::object github_config(const gkfake::FakeGitHub &fake) {
  return {{"github",
           {{"api_url", fake.api_url()},
            {"graphql_url", fake.graphql_url()},
            {"token_env", kGitHubTokenEnv},
            {"timeout_s", 5},
            {"poll_s", {{"gh_ci", 3600}, {"gh_review", 3600}}}}},
          {"centaur", {{"url", "http://127.0.0.1:9"}, {"poll_s", 3600}}}};
}

std::vector<std::string> matched(const json::value &result) {
  std::vector<std::string> out;
  for (const auto &m : result.at("matched").as_array())
    out.push_back(std::string(m.at("goal_id").as_string()) + "/" +
                  std::string(m.at("task_id").as_string()));
  return out;
}

// --- webhooks ----------------------------------------------------------------------------------

TEST(Serve, SignedDeliveryResolvesGhCiGateAndTheNextJobStarts) {
  gkfake::FakeGitHub fake;
  gkfake::PullState pull;
  pull.head_sha = kHelloSha;
  pull.checks = {{"build", "in_progress", "", ""}};
  fake.set_pull("Codertocat/Hello-World", 2, pull);

  TempDir dir;
  ServeOptions o;
  o.goal_yaml = R"(version: 1
goals:
  - id: ship
    tasks:
      - id: ci
        wait_for: {type: gh_ci, repo: Codertocat/Hello-World, pr: 2}
      - id: after
        run: ["sh", "-c", "date +%s%N > after.txt"]
)";
  o.config = github_config(fake);
  Serve s(dir, o);
  ASSERT_TRUE(s.ready()) << s.err();
  ASSERT_TRUE(rt::eventually([&] { return task_status(s, "ship", "ci") == "active"; }, 15s))
      << s.out() << s.err();
  // The first poll saw CI running: the gate waits (and polls again only in an hour).
  ASSERT_TRUE(rt::eventually([&] { return fake.requests() > 0; }, 10s));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(task_status(s, "ship", "ci"), "active");
  EXPECT_FALSE(fs::exists(dir / "after.txt"));

  // CI passes on GitHub, and GitHub says so.
  pull.checks = {{"build", "completed", "success", ""}};
  fake.set_pull("Codertocat/Hello-World", 2, pull);
  const std::string body = json::serialize(fixture("check_run", 2));
  const auto headers = delivery_headers("check_run", body);
  const auto t0 = Clock::now();
  auto r = http("POST", s.url("/webhooks/github"), headers, body);
  ASSERT_EQ(r.status, 202) << r.body << r.error;
  EXPECT_EQ(r.json().at("event").as_string(), "check_run");
  EXPECT_FALSE(r.json().at("duplicate").as_bool());
  ASSERT_TRUE(rt::eventually([&] { return fs::exists(dir / "after.txt"); }, 15s))
      << s.out() << s.err();
  EXPECT_LT(Clock::now() - t0, 10s);
  EXPECT_EQ(task_status(s, "ship", "ci"), "done");
  ASSERT_TRUE(rt::eventually([&] { return goal_state(s, "ship") == "finished"; }, 15s));

  // A redelivery (same delivery id) is accepted and has no second effect.
  auto again = http("POST", s.url("/webhooks/github"), headers, body);
  EXPECT_EQ(again.status, 202) << again.body;
  EXPECT_TRUE(again.json().at("duplicate").as_bool());
  EXPECT_EQ(rt::lines(dir / "after.txt").size(), 1u);
  EXPECT_EQ(s.stop(), 0) << s.err();
}

TEST(Serve, WebhookRefusesBadSignaturesAndBadBodies) {
  TempDir dir;
  ServeOptions o;
  Serve s(dir, o);
  ASSERT_TRUE(s.ready()) << s.err();
  const std::string url = s.url("/webhooks/github");
  const std::string body = json::serialize(fixture("ping", 0));

  auto ok = http("POST", url, delivery_headers("ping", body), body);
  EXPECT_EQ(ok.status, 202) << ok.body;
  EXPECT_EQ(ok.headers["content-type"], "application/json");

  auto wrong = http("POST", url, delivery_headers("ping", body, "another secret"), body);
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  EXPECT_TRUE(wrong.json().as_object().contains("error"));
  EXPECT_EQ(wrong.body.find(kWebhookSecret), std::string::npos);

  auto tampered = delivery_headers("ping", body);
  auto t = http("POST", url, tampered, body + " ");
  EXPECT_EQ(t.status, 401) << t.body;

  auto missing = http("POST", url, {"X-GitHub-Event: ping", "X-GitHub-Delivery: x1"}, body);
  EXPECT_EQ(missing.status, 401) << missing.body;

  const std::string bad = "{\"zen\": ";
  auto bad_json = http("POST", url, delivery_headers("ping", bad), bad);
  EXPECT_EQ(bad_json.status, 400) << bad_json.body;
  EXPECT_TRUE(bad_json.json().as_object().contains("error"));

  EXPECT_EQ(s.stop(), 0);
}

TEST(Serve, WebhookWithoutSecretIsRefused) {
  TempDir dir;
  ServeOptions o;
  o.webhook_secret = false;
  Serve s(dir, o);
  ASSERT_TRUE(s.ready()) << s.err();
  const std::string body = json::serialize(fixture("ping", 0));
  auto r = http("POST", s.url("/webhooks/github"), delivery_headers("ping", body), body);
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(s.stop(), 0);
}

TEST(Serve, BodyOver25MBIs413) {
  TempDir dir;
  Serve s(dir, {});
  ASSERT_TRUE(s.ready()) << s.err();
  const std::string big(26u * 1024 * 1024, 'x');
  // libcurl sends "Expect: 100-continue" for a body this size: refused before it is sent.
  auto t0 = Clock::now();
  auto r = http("POST", s.url("/webhooks/github"), delivery_headers("ping", "{}"), big);
  EXPECT_EQ(r.status, 413) << r.body << r.error;
  EXPECT_LT(Clock::now() - t0, 5s);
  // Without Expect the body is on its way: still 413, and the client sees the answer.
  auto h = delivery_headers("ping", "{}");
  h.push_back("Expect:");
  auto r2 = http("POST", s.url("/webhooks/github"), h, big);
  EXPECT_EQ(r2.status, 413) << r2.body << r2.error;
  // The signals endpoint has the same limit, and serve is still fine afterwards.
  auto r3 = http("POST", s.url("/api/signals/resolve"), {bearer(), "Expect:"}, big);
  EXPECT_EQ(r3.status, 413) << r3.body << r3.error;
  EXPECT_EQ(http("GET", s.url("/healthz")).status, 200);
  EXPECT_EQ(s.stop(), 0);
}

// --- signals -----------------------------------------------------------------------------------

constexpr const char *kGatesYaml = R"(version: 1
goals:
  - id: gates
    parallel: true
    tasks:
      - id: ci
        wait_for: {type: gh_ci, repo: acme/web, pr: 42}
      - id: bot
        wait_for: {type: centaur_review, pr_url: "https://github.com/acme/web/pull/7"}
      - id: human
        wait_for: {type: human_approval, key: ship-it}
      - id: by-task
        wait_for: {type: human_approval}
)";

TEST(Serve, SignalsEndpointMatchesByRepoPrByPrUrlByKeyAndReportsNoMatch) {
  gkfake::FakeGitHub fake;
  gkfake::PullState pull;
  pull.checks = {{"build", "in_progress", "", ""}};
  fake.set_pull("acme/web", 42, pull);
  TempDir dir;
  ServeOptions o;
  o.goal_yaml = kGatesYaml;
  o.config = github_config(fake);
  Serve s(dir, o);
  ASSERT_TRUE(s.ready()) << s.err();
  ASSERT_TRUE(rt::eventually([&] { return task_status(s, "gates", "human") == "active"; }, 15s))
      << s.out() << s.err();
  const std::string url = s.url("/api/signals/resolve");

  // Nothing matches: 200, empty list, and a message that says so.
  auto none = http("POST", url, {bearer()},
                   R"({"type":"gh_ci","repo":"acme/web","pr":999,"status":"pass"})");
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_TRUE(none.json().at("matched").as_array().empty());
  EXPECT_FALSE(none.json().at("message").as_string().empty());

  // repo + pr (repo case-insensitively, pr as a string).
  auto by_pr = http("POST", url, {bearer(), "Content-Type: application/json"},
                    R"({"type":"gh_ci","repo":"ACME/Web","pr":"42","status":"pass"})");
  ASSERT_EQ(by_pr.status, 200) << by_pr.body;
  EXPECT_EQ(matched(by_pr.json()), std::vector<std::string>{"gates/ci"});

  // pr_url for the review bot.
  auto by_url = http(
      "POST", url, {bearer()},
      R"({"type":"centaur_review","pr_url":"https://github.com/acme/web/pull/7","status":"pass"})");
  ASSERT_EQ(by_url.status, 200) << by_url.body;
  EXPECT_EQ(matched(by_url.json()), std::vector<std::string>{"gates/bot"});

  // key for a human approval.
  auto by_key =
      http("POST", url, {bearer()}, R"({"type":"human_approval","key":"ship-it","status":"pass"})");
  ASSERT_EQ(by_key.status, 200) << by_key.body;
  EXPECT_EQ(matched(by_key.json()), std::vector<std::string>{"gates/human"});

  // The same signal again matches nothing: the gate is done.
  auto twice =
      http("POST", url, {bearer()}, R"({"type":"human_approval","key":"ship-it","status":"pass"})");
  ASSERT_EQ(twice.status, 200) << twice.body;
  EXPECT_TRUE(twice.json().at("matched").as_array().empty());

  // The task route: the gate's type comes from the task; the id url-encoded in one segment.
  auto by_task = http("POST", s.url("/api/tasks/gates%2Fby-task/signal"), {bearer()},
                      R"({"status":"pass","artifacts":{"who":"ops"}})");
  ASSERT_EQ(by_task.status, 200) << by_task.body;
  EXPECT_EQ(matched(by_task.json()), std::vector<std::string>{"gates/by-task"});
  auto not_gate =
      http("POST", s.url("/api/tasks/gates/by-task/signal"), {bearer()}, R"({"status":"pass"})");
  EXPECT_EQ(not_gate.status, 409) << not_gate.body;
  auto unknown_task =
      http("POST", s.url("/api/tasks/gates/nope/signal"), {bearer()}, R"({"status":"pass"})");
  EXPECT_EQ(unknown_task.status, 404) << unknown_task.body;

  ASSERT_TRUE(rt::eventually([&] { return goal_state(s, "gates") == "finished"; }, 15s));
  auto events = http("GET", s.url("/api/events?goal=gates&limit=1000"), {bearer()});
  ASSERT_EQ(events.status, 200);
  EXPECT_NE(events.body.find("\"signal\""), std::string::npos);
  EXPECT_EQ(s.stop(), 0);
}

TEST(Serve, SignalsEndpointRefusesBadOrMissingTokenAndBadBodies) {
  TempDir dir;
  ServeOptions o;
  o.goal_yaml = R"(version: 1
goals:
  - id: g
    tasks:
      - id: gate
        wait_for: {type: human_approval, key: k}
)";
  Serve s(dir, o);
  ASSERT_TRUE(s.ready()) << s.err();
  ASSERT_TRUE(rt::eventually([&] { return task_status(s, "g", "gate") == "active"; }, 15s));
  const std::string url = s.url("/api/signals/resolve");
  const std::string signal = R"({"type":"human_approval","key":"k","status":"pass"})";

  auto bad = http("POST", url, {bearer("not-the-token")}, signal);
  EXPECT_EQ(bad.status, 401) << bad.body;
  EXPECT_EQ(bad.body.find(kSignalToken), std::string::npos);
  EXPECT_EQ(bad.body.find("not-the-token"), std::string::npos);
  EXPECT_EQ(bad.headers["www-authenticate"], "Bearer");
  auto prefix = http("POST", url, {bearer(std::string(kSignalToken).substr(0, 10))}, signal);
  EXPECT_EQ(prefix.status, 401);
  auto longer = http("POST", url, {bearer(std::string(kSignalToken) + "x")}, signal);
  EXPECT_EQ(longer.status, 401);
  auto missing = http("POST", url, {}, signal);
  EXPECT_EQ(missing.status, 401) << missing.body;
  auto basic = http("POST", url, {"Authorization: Basic dXNlcjpwYXNz"}, signal);
  EXPECT_EQ(basic.status, 401);
  EXPECT_EQ(http("GET", s.url("/api/status"), {}).status, 401);
  EXPECT_EQ(http("GET", s.url("/api/status"), {bearer("x")}).status, 401);
  // Nothing was resolved by the refused calls.
  EXPECT_EQ(task_status(s, "g", "gate"), "active");

  auto not_json = http("POST", url, {bearer()}, "type=gh_ci");
  EXPECT_EQ(not_json.status, 400) << not_json.body;
  auto unknown_type =
      http("POST", url, {bearer()}, R"({"type":"carrier_pigeon","key":"k","status":"pass"})");
  EXPECT_EQ(unknown_type.status, 400) << unknown_type.body;
  EXPECT_NE(unknown_type.json().at("error").as_string().find("carrier_pigeon"), std::string::npos);
  auto bad_status =
      http("POST", url, {bearer()}, R"({"type":"human_approval","key":"k","status":"maybe"})");
  EXPECT_EQ(bad_status.status, 400) << bad_status.body;

  auto good = http("POST", url, {"authorization: bearer " + std::string(kSignalToken)}, signal);
  EXPECT_EQ(good.status, 200) << good.body;
  EXPECT_EQ(matched(good.json()), std::vector<std::string>{"g/gate"});
  EXPECT_EQ(s.stop(), 0);
}

TEST(Serve, WithoutATokenTheApiIsOff) {
  TempDir dir;
  ServeOptions o;
  o.signal_token = false;
  Serve s(dir, o);
  ASSERT_TRUE(s.ready()) << s.err();
  auto r = http("POST", s.url("/api/signals/resolve"), {bearer()},
                R"({"type":"human_approval","key":"k","status":"pass"})");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.json().at("error").as_string().find("GK_SIGNAL_TOKEN"), std::string::npos);
  EXPECT_EQ(http("GET", s.url("/api/status"), {bearer("")}).status, 503);
  EXPECT_EQ(http("GET", s.url("/healthz")).status, 200);
  EXPECT_NE(s.out().find("GK_SIGNAL_TOKEN"), std::string::npos);
  EXPECT_EQ(s.stop(), 0);
}

TEST(Serve, TokenVariableComesFromTheConfig) {
  TempDir dir;
  ServeOptions o;
  o.signal_token = false;
  o.config = {{"signals", {{"token_env", "MY_SERVE_TOKEN"}}}};
  o.env["MY_SERVE_TOKEN"] = "from-my-variable";
  Serve s(dir, o);
  ASSERT_TRUE(s.ready()) << s.err();
  EXPECT_EQ(http("GET", s.url("/api/status"), {bearer("from-my-variable")}).status, 200);
  EXPECT_EQ(http("GET", s.url("/api/status"), {bearer()}).status, 401);
  EXPECT_EQ(s.stop(), 0);
}

// --- reviews -----------------------------------------------------------------------------------

TEST(Serve, ApproveAndRejectRoutes) {
  TempDir dir;
  ServeOptions o;
  o.goal_yaml = R"(version: 1
goals:
  - id: rev
    tasks:
      - id: work
        run: ["sh", "-c", "printf '%s\n---\n' \"$GK_PROMPT\" >> prompts.txt"]
      - id: review
        stage: human_review
)";
  Serve s(dir, o);
  ASSERT_TRUE(s.ready()) << s.err();
  ASSERT_TRUE(
      rt::eventually([&] { return task_status(s, "rev", "review") == "pending_review"; }, 15s))
      << s.out() << s.err();

  // Not waiting for a review, unknown, or a reject without feedback.
  EXPECT_EQ(http("POST", s.url("/api/tasks/rev/work/approve"), {bearer()}).status, 409);
  EXPECT_EQ(http("POST", s.url("/api/tasks/rev/nope/approve"), {bearer()}).status, 404);
  auto no_feedback = http("POST", s.url("/api/tasks/rev/review/reject"), {bearer()}, "{}");
  EXPECT_EQ(no_feedback.status, 400) << no_feedback.body;
  EXPECT_EQ(http("POST", s.url("/api/tasks/rev/review/approve"), {bearer("x")}).status, 401);
  EXPECT_EQ(http("GET", s.url("/api/tasks/rev/review/approve"), {bearer()}).status, 405);

  auto reject = http("POST", s.url("/api/tasks/rev/review/reject"), {bearer()},
                     R"({"feedback":"Handle the empty cart too."})");
  ASSERT_EQ(reject.status, 200) << reject.body;
  EXPECT_EQ(reject.json().at("decision").as_string(), "reject");
  // The agent runs again with the feedback, and the review is asked for again.
  ASSERT_TRUE(rt::eventually(
      [&] { return rt::read(dir / "prompts.txt").find("empty cart") != std::string::npos; }, 15s))
      << s.out();
  ASSERT_TRUE(
      rt::eventually([&] { return task_status(s, "rev", "review") == "pending_review"; }, 15s));

  auto approve = http("POST", s.url("/api/tasks/rev%2Freview/approve"), {bearer()});
  ASSERT_EQ(approve.status, 200) << approve.body;
  ASSERT_TRUE(rt::eventually([&] { return goal_state(s, "rev") == "finished"; }, 15s));
  auto status = http("GET", s.url("/api/status"), {bearer()});
  ASSERT_EQ(status.status, 200);
  EXPECT_EQ(status.json().at("goals").as_array().at(0).at("status").as_string(), "done");
  EXPECT_EQ(s.stop(), 0);
}

// --- HTTP behaviour ----------------------------------------------------------------------------

TEST(Serve, HealthzRoutingAndLimits) {
  TempDir dir;
  ServeOptions o;
  o.args = {"--max-connections", "3"};
  Serve s(dir, o);
  ASSERT_TRUE(s.ready()) << s.err();
  auto h = http("GET", s.url("/healthz"));
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "ok");
  EXPECT_EQ(http("GET", s.url("/nowhere")).status, 404);
  auto put = http("PUT", s.url("/healthz"), {}, "x");
  EXPECT_EQ(put.status, 405);
  EXPECT_EQ(put.headers["allow"], "GET");
  EXPECT_EQ(http("GET", s.url("/api/tasks/a%zz/b"), {bearer()}).status, 400);

  // Headers over 16 KB: 431.
  auto huge = http("GET", s.url("/healthz"), {"X-Filler: " + std::string(20000, 'a')});
  EXPECT_EQ(huge.status, 431) << huge.body;

  // A malformed request line: 400.
  {
    RawClient c(s.port());
    ASSERT_TRUE(c.connected());
    c.send("NOT HTTP AT ALL\r\n\r\n");
    EXPECT_NE(c.read_all(3s).find(" 400 "), std::string::npos);
  }

  // Connections past the limit get 503 and are closed; the others still work.
  {
    std::vector<std::unique_ptr<RawClient>> held;
    for (int i = 0; i < 3; ++i) {
      held.push_back(std::make_unique<RawClient>(s.port()));
      ASSERT_TRUE(held.back()->connected());
    }
    ASSERT_TRUE(rt::eventually(
        [&] {
          RawClient extra(s.port());
          extra.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
          return extra.read_all(2s).find(" 503 ") != std::string::npos;
        },
        10s));
    held[0]->send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_NE(held[0]->read_all(3s).find(" 200 "), std::string::npos);
  }
  // Keep-alive: two requests on one connection.
  {
    RawClient c(s.port());
    c.send(
        "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n"
        "Connection: close\r\n\r\n");
    std::string both = c.read_all(3s);
    size_t first = both.find("HTTP/1.1 200");
    ASSERT_NE(first, std::string::npos) << both;
    EXPECT_NE(both.find("HTTP/1.1 200", first + 1), std::string::npos) << both;
  }
  EXPECT_EQ(s.stop(), 0);
}

// CPU time (user + system) a process used so far, from /proc/<pid>/stat.
std::chrono::milliseconds cpu_time(pid_t pid) {
  std::string stat = rt::read("/proc/" + std::to_string(pid) + "/stat");
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return std::chrono::milliseconds((utime + stime) * 1000 / ::sysconf(_SC_CLK_TCK));
}

size_t open_descriptors(pid_t pid) {
  std::error_code ec;
  size_t n = 0;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != fs::directory_iterator(); it.increment(ec))
    ++n;
  return n;
}

TEST(Serve, AtTheDescriptorLimitServeBacksOffAnswers503AndRecovers) {
#ifdef GK_SANITIZED
  // UBSan checks memory through a pipe of its own: a process with no descriptor left fails those
  // checks ("invalid vptr") and exits, whatever serve does.
  GTEST_SKIP() << "a sanitizer runtime cannot run without descriptors";
#endif
  constexpr rlim_t kLimit = 128;
  TempDir dir;
  std::unique_ptr<Serve> s;
  {
    // serve inherits the lowered limit; the test gets its own back at once.
    rlimit given{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &given), 0);
    ASSERT_GE(given.rlim_max, kLimit);
    rlimit low = given;
    low.rlim_cur = kLimit;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
    s = std::make_unique<Serve>(dir, ServeOptions{});
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &given), 0);
  }
  ASSERT_TRUE(s->ready()) << s->err();
  // The cap is kept under the limit, and the log says so.
  EXPECT_NE(s->out().find("--max-connections 512 lowered to 64: the descriptor limit (ulimit -n) "
                          "is 128"),
            std::string::npos)
      << s->out();

  // Connections up to the cap stay open; then a flood of clients, each asking for /healthz: those
  // over the cap are answered 503 and linger, until serve has no descriptor left to accept with.
  std::vector<std::unique_ptr<RawClient>> held, flood;
  for (int i = 0; i < 64; ++i) {
    held.push_back(std::make_unique<RawClient>(s->port()));
    ASSERT_TRUE(held.back()->connected());
  }
  const auto cpu0 = cpu_time(s->pid());
  const auto t0 = Clock::now();
  size_t most_open = 0;
  for (int i = 0; i < 200; ++i) {
    flood.push_back(std::make_unique<RawClient>(s->port()));
    ASSERT_TRUE(flood.back()->connected());
    flood.back()->send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  }
  while (Clock::now() - t0 < 1500ms) {
    most_open = std::max(most_open, open_descriptors(s->pid()));
    std::this_thread::sleep_for(20ms);
  }
  const auto window = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  const auto used = cpu_time(s->pid()) - cpu0;
  EXPECT_GE(most_open, kLimit - 8)
      << "serve never ran short of descriptors: the test tests nothing";
  EXPECT_LT(used.count(), window.count() * 3 / 10)
      << "serve used " << used.count() << " ms of CPU in " << window.count() << " ms";

  // Every client of the flood is answered: 503 (over the cap, or out of descriptors), or 200 once
  // descriptors were free again.
  int busy = 0, served = 0;
  const auto answer_by = Clock::now() + 15s;
  for (auto &c : flood) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(answer_by - Clock::now());
    std::string answer = c->read_all(std::max(left, 100ms));
    if (answer.starts_with("HTTP/1.1 503")) ++busy;
    if (answer.starts_with("HTTP/1.1 200")) ++served;
    c.reset();
  }
  EXPECT_EQ(busy + served, 200) << busy << " answered 503, " << served << " answered 200";
  EXPECT_GT(busy, 0);

  // Once the extra clients are gone, serve answers again.
  flood.clear();
  held.clear();
  EXPECT_TRUE(rt::eventually(
      [&] { return http("GET", s->url("/healthz"), {}, "", 2000).status == 200; }, 10s));
  EXPECT_EQ(s->stop(), 0) << s->err();
}

TEST(Serve, SigtermLetsTheRequestInFlightFinishThenExitsZero) {
  TempDir dir;
  ServeOptions o;
  o.goal_yaml = R"(version: 1
goals:
  - id: g
    tasks:
      - id: gate
        wait_for: {type: human_approval, key: late}
)";
  Serve s(dir, o);
  ASSERT_TRUE(s.ready()) << s.err();
  ASSERT_TRUE(rt::eventually([&] { return task_status(s, "g", "gate") == "active"; }, 15s));

  // An idle keep-alive connection, and a request whose body is only half sent.
  RawClient idle(s.port());
  idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_NE(idle.read_all(500ms).find(" 200 "), std::string::npos);
  const std::string body = R"({"type":"human_approval","key":"late","status":"pass"})";
  RawClient c(s.port());
  ASSERT_TRUE(c.connected());
  c.send("POST /api/signals/resolve HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
         std::string(kSignalToken) + "\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, 10));
  std::this_thread::sleep_for(200ms);

  s.signal(SIGTERM);
  // New connections are refused while the request in flight still runs.
  ASSERT_TRUE(rt::eventually([&] { return !can_connect(s.port()); }, 5s));
  EXPECT_TRUE(rt::process_exists(s.pid()));
  // The idle connection was closed.
  EXPECT_EQ(idle.read_all(2s), "");
  EXPECT_TRUE(idle.eof());

  c.send(body.substr(10));
  std::string answer = c.read_all(5s);
  EXPECT_NE(answer.find("HTTP/1.1 200"), std::string::npos) << answer;
  EXPECT_NE(answer.find("g\",\"task_id\":\"gate"), std::string::npos) << answer;
  EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
  EXPECT_EQ(s.stop(), 0) << s.err();
  EXPECT_NE(s.out().find("serve: stopped"), std::string::npos);

  // The state is consistent: the gate's signal was committed.
  auto r = rt::run({"status", "g", "--json"}, {dir.path(), {}, 20000ms});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto t = rt::run({"events", "--goal", "g", "--json"}, {dir.path(), {}, 20000ms});
  EXPECT_NE(t.out.find("gate_passed"), std::string::npos) << t.out;
}

TEST(Serve, DecodedPathPiecesNeverCarryControlCharacters) {
  TempDir dir;
  ServeOptions o;
  o.goal_yaml = R"(version: 1
goals:
  - id: g
    tasks:
      - id: gate
        wait_for: {type: human_approval, key: k}
)";
  Serve s(dir, o);
  ASSERT_TRUE(s.ready()) << s.err();
  // Each is refused whole, with a message that names the piece as sent: a NUL passed on would cut
  // the plugin's message (a C string) short at the NUL.
  struct Case {
    const char *method, *path, *piece, *control;
  } cases[] = {{"GET", "/api/tasks/a%00b/c", "a%00b", "%00"},
               {"GET", "/api/tasks/g/gate%00", "gate%00", "%00"},
               {"GET", "/api/tasks/g%2Fgate%00x", "g%2Fgate%00x", "%00"},
               {"POST", "/api/tasks/g/ga%01te/approve", "ga%01te", "%01"},
               {"POST", "/api/tasks/g/gate%1b/signal", "gate%1b", "%1B"}};
  for (const auto &c : cases) {
    const bool post = c.method == std::string("POST");
    auto r = http(c.method, s.url(c.path), {bearer()}, post ? "{}" : "");
    EXPECT_EQ(r.status, 400) << c.path << ": " << r.body;
    ASSERT_NO_THROW(r.json()) << r.body;
    EXPECT_EQ(r.json().at("error").as_string(), std::string("the path segment \"") + c.piece +
                                                    "\" decodes to the control character " +
                                                    c.control +
                                                    ", which is not allowed in a path segment")
        << c.path;
  }
  for (const char *route : {"/api/status?goal=g%00x", "/api/events?goal=%00"}) {
    auto r = http("GET", s.url(route), {bearer()});
    EXPECT_EQ(r.status, 400) << route << ": " << r.body;
    EXPECT_EQ(r.json().at("error").as_string(),
              "the query parameter goal decodes to the control character %00, which no goal id "
              "contains");
  }
  // Nothing reached the plugin: the gate still waits, and a clean path still works.
  EXPECT_EQ(task_status(s, "g", "gate"), "active");
  EXPECT_EQ(s.stop(), 0) << s.err();
}

TEST(Serve, APortInUseExitsTwoHavingWrittenNothing) {
  // A port held by a plain socket of the test.
  struct Socket {
    int fd;
    ~Socket() {
      if (fd >= 0) ::close(fd);
    }
  } holder{::socket(AF_INET, SOCK_STREAM, 0)};
  ASSERT_GE(holder.fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(holder.fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(holder.fd, 4), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(holder.fd, reinterpret_cast<sockaddr *>(&addr), &len), 0);
  const std::string busy = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  const std::string goals = R"(version: 1
goals:
  - id: second
    tasks:
      - id: gate
        wait_for: {type: human_approval, key: k}
)";

  // A fresh directory: no state is created.
  TempDir fresh;
  rt::write(fresh / "goals.yaml", goals);
  auto r = rt::run({"serve", "goals.yaml", "--listen", busy}, {fresh.path(), {}, 20000ms});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("cannot listen on " + busy), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(fresh / ".goalkeeper" / "state.db"));
  EXPECT_FALSE(fs::exists(fresh / ".goalkeeper"));

  // An existing state: unchanged, no goal loaded or started.
  TempDir existing;
  rt::write(existing / "first.yaml", R"(version: 1
goals:
  - id: first
    tasks:
      - id: work
        run: ["true"]
)");
  ASSERT_EQ(rt::run({"run", "first.yaml"}, {existing.path(), {}, 30000ms}).exit_code, 0);
  auto events = [&] { return rt::run({"events", "--json"}, {existing.path(), {}, 20000ms}).out; };
  const std::string before = events();
  ASSERT_NE(before.find("goal_loaded"), std::string::npos) << before;
  rt::write(existing / "goals.yaml", goals);
  r = rt::run({"serve", "goals.yaml", "--listen", busy}, {existing.path(), {}, 20000ms});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("cannot listen on " + busy), std::string::npos) << r.err;
  const std::string after = events();
  EXPECT_EQ(after, before);
  EXPECT_EQ(after.find("second"), std::string::npos) << after;
}

TEST(Serve, UsageErrors) {
  TempDir dir;
  auto no_listen = rt::run({"serve"}, {dir.path(), {}, 20000ms});
  EXPECT_EQ(no_listen.exit_code, 2);
  EXPECT_NE(no_listen.err.find("--listen"), std::string::npos);
  auto bad = rt::run({"serve", "--listen", "nowhere"}, {dir.path(), {}, 20000ms});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("HOST:PORT"), std::string::npos) << bad.err;
  auto help = rt::run({"serve", "--help"}, {dir.path(), {}, 20000ms});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("/api/signals/resolve"), std::string::npos);

  // A port in use.
  Serve first(dir, {});
  ASSERT_TRUE(first.ready()) << first.err();
  TempDir other;
  auto busy = rt::run({"serve", "--listen", "127.0.0.1:" + std::to_string(first.port())},
                      {other.path(), {}, 20000ms});
  EXPECT_EQ(busy.exit_code, 2);
  EXPECT_NE(busy.err.find("cannot listen on 127.0.0.1:" + std::to_string(first.port())),
            std::string::npos)
      << busy.err;
  EXPECT_EQ(first.stop(), 0);
}

}  // namespace
}  // namespace gkserve
