// Webhook feeds in the engine: a delivery for a repository makes its quiet gates poll only at the
// reconcile interval, deliveries are confirmed by the next step's read, a nudge that arrives while
// a poll is in flight is confirmed again, and a move that no delivery announced takes the trust
// away. The checker is a scripted GateChecker; nudges are what gk_webhook sends the engine.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "core/engine.hpp"
#include "scripted_checker.hpp"

namespace json = boost::json;
using namespace gk;

namespace {

constexpr int64_t kReconcileMs = 600'000;  // the default webhook.reconcile_s

GateOutcome waiting(int64_t next_ms, std::string reason = "") {
  GateOutcome o;
  o.next_poll_ms = next_ms;
  o.reason = std::move(reason);
  o.memo = {{"fp", "1"}};
  return o;
}

GateOutcome passing() {
  GateOutcome o;
  o.kind = GateOutcome::Kind::pass;
  return o;
}

struct WebhookFeeds : ::testing::Test {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("gk-feed-" + std::to_string(getpid()) + "-" +
                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  int64_t now = 1'000'000;
  std::shared_ptr<ScriptedChecker> checker = std::make_shared<ScriptedChecker>();
  std::unique_ptr<Engine> engine;

  void SetUp() override {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  void TearDown() override {
    engine.reset();
    std::filesystem::remove_all(dir);
  }

  // Opens the state with gates on a/b#1 (goal g) and a/b#2 (goal h), both due at once.
  void open(const std::string &config_json = "{}", bool load = true) {
    engine.reset();
    Config c = parse_config(config_json);
    c.state_path = (dir / "state.db").string();
    HostHooks hooks;
    hooks.now_ms = [this] { return now; };
    engine = std::make_unique<Engine>(c, hooks);
    engine->add_checker(checker);
    if (!load) return;
    for (auto [goal, pr] : {std::pair{"g", 1}, std::pair{"h", 2}}) {
      engine->load("version: 1\ngoals:\n  - id: " + std::string(goal) +
                       "\n    tasks:\n      - id: ci\n        wait_for: {type: gh_ci, repo: a/B, "
                       "pr: " +
                       std::to_string(pr) + "}\n",
                   std::string(goal) + ".yaml");
      engine->start(goal, {});
    }
    engine->step({});  // activates both gates
  }

  json::object deliver(std::vector<int64_t> prs, std::string repo = "A/b") {
    GateNudge n;
    n.delivery = "d" + std::to_string(++deliveries);
    n.event = "check_run.completed";
    n.types = {"gh_ci"};
    n.repo = std::move(repo);
    n.prs = std::move(prs);
    return engine->nudge(n);
  }

  // Polls both gates once (they wait): a first poll, so no later move counts as unannounced.
  void first_polls() {
    checker->script = {waiting(now + 30'000), waiting(now + 30'000)};
    engine->step({});
    ASSERT_EQ(checker->seen.size(), 2u);
  }

  size_t polls_of(const std::string &gate) const {
    size_t n = 0;
    for (const auto &p : checker->seen) n += p.gate == gate;
    return n;
  }

  int64_t next_ms(const std::string &goal) {
    auto t = engine->query({{"what", "task"}, {"goal_id", goal}, {"task_id", "ci"}});
    return t.at("gate").at("polls").at("").at("next_ms").as_int64();
  }

  std::vector<std::string> kinds(const std::string &goal) {
    std::vector<std::string> out;
    auto r = engine->query({{"what", "events"}, {"goal_id", goal}, {"limit", 1000}});
    for (auto &e : r.at("events").as_array()) out.emplace_back(e.at("kind").as_string());
    return out;
  }

  bool has(const std::string &goal, const std::string &kind) {
    auto k = kinds(goal);
    return std::find(k.begin(), k.end(), kind) != k.end();
  }

  int deliveries = 0;
};

}  // namespace

TEST_F(WebhookFeeds, WithoutDeliveriesAWaitingGateKeepsTheCheckersPace) {
  open();
  first_polls();
  now += 30'000;
  checker->script = {waiting(now + 45'000), waiting(now + 45'000)};
  engine->step({});
  EXPECT_EQ(next_ms("g"), now + 45'000);
}

TEST_F(WebhookFeeds, AQuietGateOfAFedRepositoryIsPolledAtTheReconcileInterval) {
  open();
  first_polls();
  // A delivery about another pull request of the same repository (any case) shows the feed.
  EXPECT_TRUE(deliver({99}).at("matched").as_array().empty());
  now += 30'000;
  checker->script = {waiting(now + 45'000), waiting(now + 45'000)};
  engine->step({});
  EXPECT_EQ(next_ms("g"), now + kReconcileMs);
  EXPECT_EQ(next_ms("h"), now + kReconcileMs);
  size_t seen = checker->seen.size();
  now += kReconcileMs - 1;
  engine->step({});
  EXPECT_EQ(checker->seen.size(), seen) << "polled before the reconcile interval";
  now += 1;
  checker->script = {waiting(now + 45'000), waiting(now + 45'000)};
  engine->step({});
  EXPECT_EQ(checker->seen.size(), seen + 2) << "the reconcile poll did not come";
}

TEST_F(WebhookFeeds, AFeedOfAnotherRepositoryOrGateTypeChangesNothing) {
  open();
  first_polls();
  deliver({1}, "a/other");
  GateNudge review;
  review.delivery = "r1";
  review.event = "pull_request_review.submitted";
  review.types = {"gh_review"};
  review.repo = "a/b";
  review.prs = {1};
  engine->nudge(review);
  now += 30'000;
  checker->script = {waiting(now + 45'000), waiting(now + 45'000)};
  engine->step({});
  EXPECT_EQ(next_ms("g"), now + 45'000);
}

TEST_F(WebhookFeeds, AProblemKeepsTheCheckersScheduleOnAFedRepository) {
  open();
  first_polls();
  deliver({99});
  now += 30'000;
  checker->script = {waiting(now + 5'000, "503 from GitHub; retrying"),
                     waiting(now + 5'000, "503 from GitHub; retrying")};
  engine->step({});
  EXPECT_EQ(next_ms("g"), now + 5'000);
}

TEST_F(WebhookFeeds, ReconcileZeroTurnsTrustOff) {
  open(R"({"webhook": {"reconcile_s": 0}})");
  first_polls();
  deliver({99});
  now += 30'000;
  checker->script = {waiting(now + 45'000), waiting(now + 45'000)};
  engine->step({});
  EXPECT_EQ(next_ms("g"), now + 45'000);
}

// The read for g's deliveries takes h along, whose own window is still open.
TEST_F(WebhookFeeds, DeliveriesInOneWindowAreConfirmedByOneBatchedPoll) {
  open();
  first_polls();
  checker->seen.clear();
  auto r = deliver({1});
  ASSERT_EQ(r.at("matched").as_array().size(), 1u);
  EXPECT_EQ(r.at("scheduled"), r.at("matched"));
  EXPECT_TRUE(checker->seen.empty()) << "a delivery polled by itself";
  now += 400;
  deliver({2});
  deliver({1});  // a second delivery for the same gate does not push its read later
  now += 599;
  engine->step({});
  EXPECT_TRUE(checker->seen.empty()) << "confirmed before the coalescing window closed";
  now += 1;
  checker->script = {waiting(now + 30'000), waiting(now + 30'000)};
  engine->step({});
  EXPECT_EQ(polls_of("g/ci"), 1u);
  EXPECT_EQ(polls_of("h/ci"), 1u);
  EXPECT_EQ(checker->seen.size(), 2u) << "h did not ride along with g's read";
}

TEST_F(WebhookFeeds, ANudgeDuringAPollIsConfirmedByAnotherRead) {
  open();
  first_polls();
  deliver({99});
  now += 30'000;
  // The answer on the wire predates the delivery that arrives meanwhile.
  checker->during_poll = [this] { deliver({1}); };
  checker->script = {waiting(now + 45'000), waiting(now + 45'000)};
  engine->step({});
  EXPECT_EQ(next_ms("g"), now + 1000) << "the in-flight nudge was lost";
  EXPECT_EQ(next_ms("h"), now + kReconcileMs);
  now += 1000;
  checker->script = {waiting(now + 45'000)};
  engine->step({});
  EXPECT_EQ(polls_of("g/ci"), 3u);
  EXPECT_EQ(next_ms("g"), now + kReconcileMs);
}

TEST_F(WebhookFeeds, AVerdictNoDeliveryAnnouncedTakesTheTrustAway) {
  open();
  first_polls();
  deliver({99});
  now += 30'000;
  checker->script = {waiting(now + 45'000), waiting(now + 45'000)};
  engine->step({});
  ASSERT_EQ(next_ms("h"), now + kReconcileMs);
  // g's checks finished and the delivery never came: the reconcile poll finds it.
  now += kReconcileMs;
  checker->script = {passing(), waiting(now + 45'000)};
  engine->step({});
  EXPECT_TRUE(has("g", "webhook_missed"));
  EXPECT_FALSE(has("h", "webhook_missed"));
  EXPECT_EQ(next_ms("h"), now + 45'000) << "still trusted after a missed delivery";
  // Deliveries still bring gates forward, but trust comes back only after an hour.
  deliver({2});
  now += 1000;
  checker->script = {waiting(now + 45'000)};
  engine->step({});
  EXPECT_EQ(next_ms("h"), now + 45'000);
  now += 3600'000;
  deliver({2});
  now += 1000;
  checker->script = {waiting(now + 45'000)};
  engine->step({});
  EXPECT_EQ(next_ms("h"), now + kReconcileMs);
}

TEST_F(WebhookFeeds, AnAnnouncedVerdictOrAFirstPollIsNoMiss) {
  open();
  deliver({99});
  // The first poll of g passes at once: nothing was missed.
  checker->script = {passing(), waiting(now + 45'000)};
  engine->step({});
  EXPECT_FALSE(has("g", "webhook_missed"));
  // h's verdict came with a delivery.
  deliver({2});
  now += 1000;
  checker->script = {passing()};
  engine->step({});
  EXPECT_FALSE(has("h", "webhook_missed"));
  EXPECT_EQ(engine->query({{"what", "task"}, {"goal_id", "h"}, {"task_id", "ci"}}).at("status"),
            "done");
}

TEST_F(WebhookFeeds, AVerdictFoundAfterAFailedConfirmingReadWasAnnounced) {
  open();
  first_polls();
  deliver({1});
  now += 1000;
  checker->script = {waiting(now + 5'000, "503 from GitHub; retrying")};
  engine->step({});
  now += 2000;
  deliver({2});  // h's read comes while g waits for its retry: g does not ride along
  now += 1000;
  checker->script = {waiting(now + 45'000)};
  engine->step({});
  EXPECT_EQ(polls_of("g/ci"), 2u);
  now += 2000;
  checker->script = {passing()};
  engine->step({});
  EXPECT_EQ(polls_of("g/ci"), 3u);
  EXPECT_FALSE(has("g", "webhook_missed"));
}

TEST_F(WebhookFeeds, ANewHeadNoDeliveryAnnouncedTakesTheTrustAway) {
  open();
  first_polls();
  deliver({99});
  now += 30'000;
  GateOutcome pushed = waiting(now + 30'000, "new head commit aaa..bbb");
  pushed.moved = true;
  checker->script = {pushed, waiting(now + 45'000)};
  engine->step({});
  EXPECT_TRUE(has("g", "webhook_missed"));
  EXPECT_EQ(next_ms("g"), now + 30'000);
  EXPECT_EQ(next_ms("h"), now + 45'000);
}

TEST_F(WebhookFeeds, AFeedLapsesAfterADayWithoutDeliveries) {
  open();
  first_polls();
  deliver({99});
  now += 24 * 3600'000 + 1;
  checker->script = {waiting(now + 45'000), waiting(now + 45'000)};
  engine->step({});
  EXPECT_EQ(next_ms("g"), now + 45'000);
}

TEST_F(WebhookFeeds, AFeedOutlivesTheProcess) {
  open();
  first_polls();
  deliver({99});
  open("{}", false);
  now += 30'000;
  checker->script = {waiting(now + 45'000), waiting(now + 45'000)};
  engine->step({});
  EXPECT_EQ(next_ms("g"), now + kReconcileMs);
}

TEST(WebhookConfig, ReconcileAndCoalesceAreReadAndChecked) {
  Config c = parse_config(R"({"webhook": {"reconcile_s": 60, "coalesce_ms": 0}})");
  EXPECT_EQ(c.webhook_reconcile_ms, 60'000);
  EXPECT_EQ(c.webhook_coalesce_ms, 0);
  try {
    parse_config(R"({"webhook": {"reconcile_s": -1}})");
    FAIL() << "a negative interval was accepted";
  } catch (const std::exception &e) {
    EXPECT_NE(std::string(e.what()).find("webhook.reconcile_s"), std::string::npos) << e.what();
  }
  try {
    parse_config(R"({"webhook": {"reconcile": 60}})");
    FAIL() << "an unknown key was accepted";
  } catch (const std::exception &e) {
    EXPECT_NE(std::string(e.what()).find("reconcile"), std::string::npos) << e.what();
  }
}
