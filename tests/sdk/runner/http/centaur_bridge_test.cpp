// The review-bot bridge of `goalkeeper serve` against a tiny fake bot on loopback: serve
// registers a callback with a per-task token while a centaur_review gate watches, the bot's
// verdict posted there resolves the gate, and the registration is revoked afterwards.
#include <gtest/gtest.h>

#include <mutex>

#include "http/router.hpp"
#include "http/server.hpp"
#include "serve_support.hpp"

namespace gkserve {
namespace {

namespace rt = gk::runner_test;
using namespace std::chrono_literals;

class FakeBot {
 public:
  FakeBot() : server_("127.0.0.1", 0, handler()) { server_.start(); }
  ~FakeBot() { server_.stop(std::chrono::milliseconds(2000)); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  std::vector<json::object> registrations() const {
    std::lock_guard lock(mutex_);
    return registrations_;
  }
  std::vector<std::string> revocations() const {
    std::lock_guard lock(mutex_);
    return revocations_;
  }
  std::vector<std::string> log() const {
    std::lock_guard lock(mutex_);
    return log_;
  }
  void set_register_status(int status) {
    std::lock_guard lock(mutex_);
    register_status_ = status;
  }

 private:
  gk::http::Handler handler() {
    auto router = std::make_shared<gk::http::Router>();
    router->add("POST", "/api/signals/register",
                [this](const gk::http::Request &req, const gk::http::RouteMatch &) {
                  std::lock_guard lock(mutex_);
                  log_.push_back("register");
                  gk::http::Response r;
                  r.status = register_status_;
                  if (r.status == 200) registrations_.push_back(json::parse(req.body).as_object());
                  r.body = R"({"ok":true})";
                  return r;
                });
    router->add("DELETE", "/api/signals/{task}",
                [this](const gk::http::Request &req, const gk::http::RouteMatch &m) {
                  std::lock_guard lock(mutex_);
                  log_.push_back("delete " + req.path);
                  revocations_.push_back(m.param("task"));
                  gk::http::Response r;
                  r.body = R"({"ok":true})";
                  return r;
                });
    router->add("GET", "/api/reviews", [](const gk::http::Request &, const gk::http::RouteMatch &) {
      gk::http::Response r;
      r.body = R"({"status":"pending"})";
      return r;
    });
    return [router](const gk::http::Request &req) { return (*router)(req); };
  }

  mutable std::mutex mutex_;
  std::vector<json::object> registrations_;
  std::vector<std::string> revocations_;
  std::vector<std::string> log_;
  int register_status_ = 200;
  gk::http::Server server_;
};

json::object bot_config(const FakeBot &bot) {
  return {{"centaur", {{"url", bot.url()}, {"poll_s", 3600}}},
          {"github", {{"api_url", "http://127.0.0.1:9/api/v3"}, {"poll_s", {{"gh_ci", 3600}}}}}};
}

constexpr const char *kBotYaml = R"(version: 1
goals:
  - id: cb
    tasks:
      - id: bot-review
        wait_for: {type: centaur_review, repo: acme/web, pr: 5}
      - id: after
        run: ["sh", "-c", "touch after.txt"]
)";

TEST(ServeCentaurBridge, RegisterVerdictRevoke) {
  FakeBot bot;
  TempDir dir;
  ServeOptions o;
  o.goal_yaml = kBotYaml;
  o.config = bot_config(bot);
  Serve s(dir, o);
  ASSERT_TRUE(s.ready()) << s.err();

  ASSERT_TRUE(rt::eventually([&] { return !bot.registrations().empty(); }, 15s))
      << s.out() << s.err();
  const json::object reg = bot.registrations().at(0);
  EXPECT_EQ(reg.at("task_id").as_string(), "cb/bot-review");
  const std::string token(reg.at("token").as_string());
  EXPECT_EQ(token.size(), 64u);
  const std::string callback(reg.at("callback_url").as_string());
  EXPECT_EQ(callback, s.url("/api/centaur/callback/cb/bot-review"));
  EXPECT_EQ(reg.at("repo").as_string(), "acme/web");
  // The token is serve's own for this task, never the signal token.
  EXPECT_NE(token, kSignalToken);
  EXPECT_EQ(s.out().find(token), std::string::npos);
  EXPECT_EQ(s.err().find(token), std::string::npos);

  const std::string verdict = R"({"status":"approved","summary":"LGTM"})";
  // Wrong or missing token, or the signal token: refused, nothing changes.
  const std::string wrong = (token[0] == '0' ? "1" : "0") + token.substr(1);
  EXPECT_EQ(http("POST", callback, {bearer(wrong)}, verdict).status, 401);
  EXPECT_EQ(http("POST", callback, {}, verdict).status, 401);
  EXPECT_EQ(http("POST", callback, {bearer()}, verdict).status, 401);
  EXPECT_EQ(http("POST", s.url("/api/centaur/callback/cb/after"), {bearer(token)}, verdict).status,
            401);
  EXPECT_EQ(http("POST", callback, {bearer(token)}, R"({"status":"thinking"})").status, 400);
  EXPECT_EQ(task_status(s, "cb", "bot-review"), "active");
  EXPECT_TRUE(bot.revocations().empty());

  auto r = http("POST", callback, {bearer(token)}, verdict);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("matched").as_array().size(), 1u);
  ASSERT_TRUE(rt::eventually([&] { return fs::exists(dir / "after.txt"); }, 15s)) << s.out();

  // The gate no longer watches: the registration is revoked, and the token is dead.
  ASSERT_TRUE(rt::eventually([&] { return !bot.revocations().empty(); }, 15s)) << s.err();
  EXPECT_EQ(bot.revocations().at(0), "cb/bot-review");
  auto log = bot.log();
  EXPECT_EQ(log.front(), "register");
  EXPECT_EQ(log.back(), "delete /api/signals/cb%2Fbot-review");
  EXPECT_EQ(http("POST", callback, {bearer(token)}, verdict).status, 401);
  EXPECT_EQ(bot.registrations().size(), 1u);
  EXPECT_EQ(s.stop(), 0) << s.err();
  EXPECT_EQ(bot.revocations().size(), 1u);
}

// A compound gate with one centaur_review leaf gets a callback too: the verdict resolves that
// leaf, and the gate goes on waiting for its other part.
TEST(ServeCentaurBridge, ALeafOfACompoundGateGetsACallbackThatResolvesIt) {
  FakeBot bot;
  TempDir dir;
  ServeOptions o;
  o.goal_yaml = R"(version: 1
goals:
  - id: cb
    tasks:
      - id: both
        wait_for:
          type: compound
          all:
            - {type: centaur_review, repo: acme/web, pr: 7}
            - {type: human_approval, key: ship}
      - id: after
        run: ["sh", "-c", "touch after.txt"]
)";
  o.config = bot_config(bot);
  Serve s(dir, o);
  ASSERT_TRUE(s.ready()) << s.err();
  ASSERT_TRUE(rt::eventually([&] { return !bot.registrations().empty(); }, 15s))
      << s.out() << s.err();
  const json::object reg = bot.registrations().at(0);
  EXPECT_EQ(reg.at("task_id").as_string(), "cb/both");
  EXPECT_EQ(reg.at("repo").as_string(), "acme/web");
  EXPECT_EQ(reg.at("pr").to_number<int>(), 7);

  auto r = http("POST", std::string(reg.at("callback_url").as_string()),
                {bearer(std::string(reg.at("token").as_string()))}, R"({"status":"approved"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("matched").as_array().size(), 1u);
  EXPECT_EQ(task_status(s, "cb", "both"), "active");  // the approval is still to come
  EXPECT_FALSE(fs::exists(dir / "after.txt"));

  r = http("POST", s.url("/api/signals/resolve"), {bearer()},
           R"({"type":"human_approval","key":"ship","status":"pass"})");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(rt::eventually([&] { return fs::exists(dir / "after.txt"); }, 15s)) << s.out();
  ASSERT_TRUE(rt::eventually([&] { return !bot.revocations().empty(); }, 15s)) << s.err();
  EXPECT_EQ(bot.revocations().at(0), "cb/both");
  EXPECT_EQ(s.stop(), 0) << s.err();
}

TEST(ServeCentaurBridge, ChangesRequestedFailsTheGate) {
  FakeBot bot;
  TempDir dir;
  ServeOptions o;
  o.goal_yaml = kBotYaml;
  o.config = bot_config(bot);
  Serve s(dir, o);
  ASSERT_TRUE(s.ready()) << s.err();
  ASSERT_TRUE(rt::eventually([&] { return !bot.registrations().empty(); }, 15s)) << s.err();
  const json::object reg = bot.registrations().at(0);
  auto r = http("POST", std::string(reg.at("callback_url").as_string()),
                {bearer(std::string(reg.at("token").as_string()))},
                R"({"status":"changes_requested","comments":["rename x"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(rt::eventually([&] { return goal_state(s, "cb") == "finished"; }, 15s));
  EXPECT_EQ(task_status(s, "cb", "bot-review"), "failed");
  EXPECT_FALSE(fs::exists(dir / "after.txt"));
  ASSERT_TRUE(rt::eventually([&] { return !bot.revocations().empty(); }, 15s));
  EXPECT_EQ(s.stop(), 0);
}

TEST(ServeCentaurBridge, UnreachableOrFailingBotIsRetriedAndPollingStillWorks) {
  FakeBot bot;
  bot.set_register_status(500);
  TempDir dir;
  ServeOptions o;
  o.goal_yaml = kBotYaml;
  o.config = bot_config(bot);
  Serve s(dir, o);
  ASSERT_TRUE(s.ready()) << s.err();
  ASSERT_TRUE(rt::eventually([&] { return !bot.log().empty(); }, 15s));
  ASSERT_TRUE(rt::eventually(
      [&] { return s.err().find("registering cb/bot-review") != std::string::npos; }, 10s));
  // The bot recovers: the registration is made on a later attempt.
  bot.set_register_status(200);
  ASSERT_TRUE(rt::eventually([&] { return !bot.registrations().empty(); }, 20s)) << s.err();
  // Serving stops: the registration is revoked on the way out.
  EXPECT_EQ(s.stop(), 0);
  EXPECT_EQ(bot.revocations(), std::vector<std::string>{"cb/bot-review"});
}

TEST(ServeCentaurBridge, SignalsStillResolveWhenTheBotIsDown) {
  TempDir dir;
  ServeOptions o;
  o.goal_yaml = kBotYaml;
  o.config = {{"centaur", {{"url", "http://127.0.0.1:9"}, {"poll_s", 3600}}}};
  Serve s(dir, o);
  ASSERT_TRUE(s.ready()) << s.err();
  ASSERT_TRUE(rt::eventually([&] { return task_status(s, "cb", "bot-review") == "active"; }, 15s));
  auto r = http("POST", s.url("/api/signals/resolve"), {bearer()},
                R"({"type":"centaur_review","repo":"acme/web","pr":5,"status":"pass"})");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(rt::eventually([&] { return fs::exists(dir / "after.txt"); }, 15s));
  EXPECT_EQ(s.stop(), 0);
}

}  // namespace
}  // namespace gkserve
