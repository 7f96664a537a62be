// Deliveries beyond the signature (issue 5): redelivery by X-GitHub-Delivery has no second effect
// (also after reopening the state), ping is accepted, events that cannot affect a gate are accepted
// and ignored with the reason, header names are case-insensitive, a delivery is confirmed by a read
// (the fake decides pass or fail, not the payload), and malformed deliveries are invalid.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <tuple>

#include "webhook_support.hpp"

using namespace gkwh;
using gktest::Host;

namespace {

constexpr const char *kRepo = "Codertocat/Hello-World";
constexpr const char *kHead = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

gkfake::PullState pull(const std::string &head, const std::string &status,
                       const std::string &conclusion) {
  gkfake::PullState s;
  s.head_sha = head;
  s.checks = {{"build", status, conclusion, ""}};
  return s;
}

json::object first_example(const std::string &event, const std::string &action) {
  for (const auto &e : examples(event))
    if (const auto *a = e.as_object().if_contains("action");
        a && a->is_string() && a->as_string() == action)
      return e.as_object();
  ADD_FAILURE() << "no " << event << "." << action << " example";
  return {};
}

bool has(const std::vector<std::string> &kinds, const std::string &kind) {
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

// A goal "g" whose gh_ci gate watches Codertocat/Hello-World#2; the fake's PR 2 is still running.
struct Deliveries : ::testing::Test {
  ScopedEnv secret{kSecretEnv, std::string(kSecret)};
  ScopedEnv token{kTokenEnv, std::string("gk-test-token")};
  gkfake::FakeGitHub fake;
  std::unique_ptr<Host> h;
  json::object check_run = first_example("check_run", "completed");

  void SetUp() override {
    fake.set_pull(kRepo, 2, pull(kHead, "in_progress", ""));
    h = std::make_unique<Host>(config_for(fake));
    gate_goal(*h, "g", {{"type", "gh_ci"}, {"repo", kRepo}, {"pr", 2}});
  }

  // The delivery is accepted, ignored with a reason that names `why`, and changes nothing.
  void expect_ignored(const std::string &event, const json::value &payload,
                      const std::string &why) {
    Snapshot before = snapshot(*h, fake, "g");
    Delivery d = deliver_signed(h->plugin, event, payload);
    ASSERT_EQ(d.rc, GK_OK) << d.error;
    const auto *ignored = d.result.if_contains("ignored");
    ASSERT_TRUE(ignored && ignored->is_string()) << json::serialize(d.result);
    EXPECT_TRUE(contains(std::string(ignored->as_string()), why)) << *ignored;
    EXPECT_FALSE(d.result.at("message").as_string().empty());
    EXPECT_TRUE(refs(d.result, "matched").empty());
    EXPECT_TRUE(refs(d.result, "scheduled").empty());
    EXPECT_EQ(before, snapshot(*h, fake, "g")) << "an ignored delivery changed something";
  }
};

}  // namespace

TEST_F(Deliveries, RedeliveryOfTheSameIdHasNoSecondEffect) {
  std::string id = new_delivery_id();
  Delivery first = deliver_signed(h->plugin, "check_run", check_run, id);
  ASSERT_EQ(first.rc, GK_OK) << first.error;
  EXPECT_FALSE(first.result.at("duplicate").as_bool());
  EXPECT_EQ(first.result.at("delivery"), json::value(id));
  EXPECT_EQ(refs(first.result, "matched"), std::vector<std::string>{"g/gate"});
  EXPECT_EQ(refs(first.result, "scheduled"), std::vector<std::string>{"g/gate"});
  EXPECT_TRUE(has(h->event_kinds("g"), "gate_nudged"));

  Snapshot after_first = snapshot(*h, fake, "g");
  Delivery again = deliver_signed(h->plugin, "check_run", check_run, id);
  ASSERT_EQ(again.rc, GK_OK) << again.error;
  EXPECT_TRUE(again.result.at("duplicate").as_bool()) << json::serialize(again.result);
  EXPECT_TRUE(refs(again.result, "matched").empty());
  EXPECT_TRUE(refs(again.result, "scheduled").empty());
  EXPECT_TRUE(contains(std::string(again.result.at("message").as_string()), id))
      << again.result.at("message");
  EXPECT_EQ(after_first, snapshot(*h, fake, "g")) << "a redelivery changed something";

  // Even when GitHub now says pass, the redelivery does not trigger a check; a new delivery does.
  fake.set_pull(kRepo, 2, pull(kHead, "completed", "success"));
  again = deliver_signed(h->plugin, "check_run", check_run, id);
  EXPECT_TRUE(again.result.at("duplicate").as_bool());
  EXPECT_EQ(h->status_of("g", "gate"), "active");
  EXPECT_EQ(after_first, snapshot(*h, fake, "g"));

  Delivery fresh = deliver_signed(h->plugin, "check_run", check_run);
  ASSERT_EQ(fresh.rc, GK_OK) << fresh.error;
  EXPECT_EQ(refs(fresh.result, "scheduled"), std::vector<std::string>{"g/gate"});
  confirm(*h);
  EXPECT_EQ(h->status_of("g", "gate"), "done");
}

TEST_F(Deliveries, RedeliveryIsRecognisedAfterReopeningTheState) {
  std::string id = new_delivery_id();
  ASSERT_EQ(deliver_signed(h->plugin, "check_run", check_run, id).rc, GK_OK);
  size_t events = total_events(*h);
  gk_close(h->plugin);
  h->plugin = nullptr;
  Host reopened(h->state_path, config_for(fake));
  Delivery again = deliver_signed(reopened.plugin, "check_run", check_run, id);
  ASSERT_EQ(again.rc, GK_OK) << again.error;
  EXPECT_TRUE(again.result.at("duplicate").as_bool()) << json::serialize(again.result);
  EXPECT_TRUE(refs(again.result, "matched").empty());
  EXPECT_EQ(total_events(reopened), events);
}

TEST_F(Deliveries, PingIsAcceptedWithAMessage) {
  auto pings = examples("ping");
  ASSERT_FALSE(pings.empty());
  for (const auto &ping : pings) {
    Snapshot before = snapshot(*h, fake, "g");
    std::string id = new_delivery_id();
    Delivery d = deliver_signed(h->plugin, "ping", ping, id);
    ASSERT_EQ(d.rc, GK_OK) << d.error;
    EXPECT_EQ(d.result.at("event"), "ping");
    EXPECT_EQ(d.result.at("delivery"), json::value(id));
    EXPECT_FALSE(d.result.at("duplicate").as_bool());
    EXPECT_FALSE(d.result.contains("ignored")) << json::serialize(d.result);
    ASSERT_TRUE(d.result.contains("message"));
    EXPECT_FALSE(d.result.at("message").as_string().empty());
    EXPECT_TRUE(refs(d.result, "matched").empty());
    EXPECT_EQ(before, snapshot(*h, fake, "g"));
  }
}

TEST_F(Deliveries, ARedeliveredPingIsADuplicateLikeAnyOtherEvent) {
  json::object ping = examples("ping").at(0).as_object();
  std::string id = new_delivery_id();
  Delivery first = deliver_signed(h->plugin, "ping", ping, id);
  ASSERT_EQ(first.rc, GK_OK) << first.error;
  EXPECT_FALSE(first.result.at("duplicate").as_bool());
  Snapshot before = snapshot(*h, fake, "g");
  Delivery again = deliver_signed(h->plugin, "ping", ping, id);
  ASSERT_EQ(again.rc, GK_OK) << again.error;
  EXPECT_EQ(again.result.at("event"), "ping");
  EXPECT_EQ(again.result.at("delivery"), json::value(id));
  EXPECT_TRUE(again.result.at("duplicate").as_bool()) << json::serialize(again.result);
  EXPECT_TRUE(contains(std::string(again.result.at("message").as_string()), id))
      << again.result.at("message");
  EXPECT_EQ(before, snapshot(*h, fake, "g"));

  // Also after reopening the state, and for deliveries ignored the first time.
  json::object push{
      {"ref", "refs/heads/main"}, {"after", kHead}, {"repository", {{"full_name", kRepo}}}};
  std::string push_id = new_delivery_id();
  Delivery ignored = deliver_signed(h->plugin, "push", push, push_id);
  ASSERT_EQ(ignored.rc, GK_OK) << ignored.error;
  EXPECT_FALSE(ignored.result.at("duplicate").as_bool());
  EXPECT_TRUE(ignored.result.contains("ignored"));
  gk_close(h->plugin);
  h->plugin = nullptr;
  Host reopened(h->state_path, config_for(fake));
  for (auto [event, payload, delivery] :
       {std::tuple{"ping", ping, id}, std::tuple{"push", push, push_id}}) {
    Delivery d = deliver_signed(reopened.plugin, event, payload, delivery);
    ASSERT_EQ(d.rc, GK_OK) << d.error;
    EXPECT_TRUE(d.result.at("duplicate").as_bool()) << event << ": " << json::serialize(d.result);
  }
  // A new id of the same ping is new.
  Delivery fresh = deliver_signed(reopened.plugin, "ping", ping);
  ASSERT_EQ(fresh.rc, GK_OK) << fresh.error;
  EXPECT_FALSE(fresh.result.at("duplicate").as_bool());
}

TEST_F(Deliveries, UnknownEventsAreAcceptedAndIgnoredWithTheReason) {
  json::object repo{{"full_name", kRepo}, {"name", "Hello-World"}};
  expect_ignored("issues", {{"action", "opened"}, {"issue", {{"number", 2}}}, {"repository", repo}},
                 "issues");
  expect_ignored("push", {{"ref", "refs/heads/main"}, {"after", kHead}, {"repository", repo}},
                 "push");
  expect_ignored("deployment_status", {{"action", "created"}, {"repository", repo}},
                 "deployment_status");
}

TEST_F(Deliveries, ActionsThatDecideNothingAreIgnoredWithTheAction) {
  // Variants of GitHub's own examples with actions the fixtures do not have.
  json::object review = first_example("pull_request_review", "submitted");
  review["action"] = "edited";
  expect_ignored("pull_request_review", review, "edited");
  json::object run = check_run;
  run["action"] = "in_progress";
  expect_ignored("check_run", run, "in_progress");
}

TEST_F(Deliveries, PendingStatusIsIgnoredAndAFinalOneIsNot) {
  json::object status = examples("status").at(0).as_object();
  std::string sha(status.at("sha").as_string());
  // The gate learns the head commit from a poll (statuses carry no pull request numbers).
  fake.set_pull(kRepo, 2, pull(sha, "in_progress", ""));
  h->step();
  ASSERT_EQ(poll_memo(*h, "g", "gate").at("head"), json::value(sha));
  status["state"] = "pending";
  expect_ignored("status", status, "pending");

  status["state"] = "success";
  gkfake::PullState done;
  done.head_sha = sha;
  done.statuses = {{"default", "success", ""}};
  fake.set_pull(kRepo, 2, done);
  Delivery d = deliver_signed(h->plugin, "status", status);
  ASSERT_EQ(d.rc, GK_OK) << d.error;
  EXPECT_EQ(refs(d.result, "matched"), std::vector<std::string>{"g/gate"});
  confirm(*h);
  EXPECT_EQ(h->status_of("g", "gate"), "done");
}

TEST_F(Deliveries, HeaderNamesAreCaseInsensitive) {
  std::string body = json::serialize(check_run);
  std::string first_id;
  for (auto spelling : {+[](std::string s) { return lower(s); },
                        +[](std::string s) {
                          for (auto &c : s) c = static_cast<char>(std::toupper(c));
                          return s;
                        },
                        +[](std::string s) {
                          bool up = false;
                          for (auto &c : s) {
                            c = static_cast<char>(up ? std::toupper(c) : std::tolower(c));
                            up = !up;
                          }
                          return s;
                        }}) {
    std::string id = new_delivery_id();
    if (first_id.empty()) first_id = id;
    json::object hdrs;
    for (const auto &kv : signed_headers("check_run", id, body))
      hdrs[spelling(std::string(kv.key()))] = kv.value();
    SCOPED_TRACE(json::serialize(hdrs));
    Delivery d = deliver(h->plugin, hdrs, body);
    ASSERT_EQ(d.rc, GK_OK) << d.error;
    EXPECT_EQ(d.result.at("event"), "check_run");
    EXPECT_EQ(d.result.at("delivery"), json::value(id));
    EXPECT_FALSE(d.result.at("duplicate").as_bool());
    EXPECT_EQ(refs(d.result, "matched"), std::vector<std::string>{"g/gate"});
  }
  // A redelivery is recognised whatever the spelling of its header.
  json::object hdrs = signed_headers("check_run", first_id, body);
  json::object renamed;
  for (const auto &kv : hdrs) renamed[lower(std::string(kv.key()))] = kv.value();
  Delivery d = deliver(h->plugin, renamed, body);
  ASSERT_EQ(d.rc, GK_OK) << d.error;
  EXPECT_TRUE(d.result.at("duplicate").as_bool());
}

TEST_F(Deliveries, TheReadDecidesNotThePayload) {
  // GitHub's example of a check run that completed with failure; GitHub (the fake) says the
  // pull request's checks all passed, so the gate passes.
  json::object failed;
  for (const auto &e : examples("check_run"))
    if (e.at("action") == "completed" && e.at("check_run").at("conclusion") == "failure")
      failed = e.as_object();
  ASSERT_FALSE(failed.empty());
  fake.set_pull(kRepo, 2, pull(kHead, "completed", "success"));
  Delivery d = deliver_signed(h->plugin, "check_run", failed);
  ASSERT_EQ(d.rc, GK_OK) << d.error;
  ASSERT_EQ(refs(d.result, "scheduled"), std::vector<std::string>{"g/gate"});
  EXPECT_EQ(h->status_of("g", "gate"), "active");
  confirm(*h);
  EXPECT_EQ(h->status_of("g", "gate"), "done");
}

TEST_F(Deliveries, AFailingReadFailsTheGate) {
  fake.set_pull(kRepo, 2, pull(kHead, "completed", "failure"));
  Delivery d = deliver_signed(h->plugin, "check_run", check_run);
  ASSERT_EQ(d.rc, GK_OK) << d.error;
  ASSERT_EQ(refs(d.result, "scheduled"), std::vector<std::string>{"g/gate"});
  confirm(*h);
  EXPECT_EQ(h->status_of("g", "gate"), "failed");
}

TEST_F(Deliveries, MalformedDeliveriesAreInvalid) {
  std::string body = json::serialize(check_run);
  size_t events = total_events(*h);
  // No event header (signed correctly).
  json::object hdrs = signed_headers("check_run", new_delivery_id(), body);
  hdrs.erase("X-GitHub-Event");
  Delivery d = deliver(h->plugin, hdrs, body);
  EXPECT_EQ(d.rc, GK_ERR_INVALID);
  EXPECT_TRUE(contains(d.error, "X-GitHub-Event")) << d.error;
  // A body that is JSON but not an object.
  d = deliver(h->plugin, signed_headers("check_run", new_delivery_id(), "[1,2]"), "[1,2]");
  EXPECT_EQ(d.rc, GK_ERR_INVALID);
  EXPECT_TRUE(contains(d.error, "object")) << d.error;
  // Headers that are not JSON, or missing.
  char *out = nullptr;
  EXPECT_EQ(gk_webhook(h->plugin, "{not json", body.data(), body.size(), &out), GK_ERR_INVALID);
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(gk_webhook(h->plugin, nullptr, body.data(), body.size(), &out), GK_ERR_INVALID);
  EXPECT_EQ(gk_webhook(nullptr, "{}", body.data(), body.size(), &out), GK_ERR_INVALID);
  EXPECT_EQ(gk_webhook(h->plugin, "{}", nullptr, 5, &out), GK_ERR_INVALID);
  EXPECT_EQ(total_events(*h), events);
  EXPECT_EQ(h->status_of("g", "gate"), "active");
}

TEST_F(Deliveries, AGateOnACommitMatchesDeliveriesForThatCommit) {
  // check_suite completed without pull request numbers (as for forks): a gate configured with
  // the commit matches by it, without having been polled.
  json::object suite;
  for (const auto &e : examples("check_suite"))
    if (e.at("action") == "completed" && e.at("check_suite").at("pull_requests").as_array().empty())
      suite = e.as_object();
  ASSERT_FALSE(suite.empty());
  std::string sha(suite.at("check_suite").at("head_sha").as_string());
  fake.set_pull(kRepo, 9, pull(sha, "in_progress", ""));
  // PR 2 (goal g) is on another commit; the next step polls it once.
  fake.set_pull(kRepo, 2, pull(std::string(40, 'b'), "in_progress", ""));
  gate_goal(*h, "c", {{"type", "gh_ci"}, {"repo", "codertocat/hello-world"}, {"sha", sha}});
  fake.set_pull(kRepo, 9, pull(sha, "completed", "success"));
  Delivery d = deliver_signed(h->plugin, "check_suite", suite);
  ASSERT_EQ(d.rc, GK_OK) << d.error;
  EXPECT_EQ(refs(d.result, "matched"), std::vector<std::string>{"c/gate"});
  confirm(*h);
  EXPECT_EQ(h->status_of("c", "gate"), "done");
  EXPECT_EQ(h->status_of("g", "gate"), "active");
}

TEST_F(Deliveries, ADeliveryIsAnsweredWithoutWaitingForGitHub) {
  // GitHub wants an answer within seconds: the read that confirms a delivery is the next step's.
  fake.set_pull(kRepo, 2, pull(kHead, "completed", "success"));
  fake.set_fault(gkfake::Fault::hang);
  int requests = fake.requests();
  Delivery d = deliver_signed(h->plugin, "check_run", check_run);
  ASSERT_EQ(d.rc, GK_OK) << d.error;
  EXPECT_EQ(fake.requests(), requests) << "the delivery itself asked GitHub";
  EXPECT_EQ(refs(d.result, "scheduled"), std::vector<std::string>{"g/gate"});
  EXPECT_EQ(h->status_of("g", "gate"), "active");
}

TEST_F(Deliveries, GitHubTroubleDuringTheConfirmingReadKeepsTheGateWaiting) {
  fake.set_pull(kRepo, 2, pull(kHead, "completed", "success"));
  fake.set_fault(gkfake::Fault::server_error);
  Delivery d = deliver_signed(h->plugin, "check_run", check_run);
  ASSERT_EQ(d.rc, GK_OK) << d.error;
  confirm(*h);
  fake.clear_faults();
  EXPECT_EQ(h->status_of("g", "gate"), "active");
  EXPECT_TRUE(has(h->event_kinds("g"), "gate_poll_problem"));
  // Polling reconciles once GitHub answers again.
  h->now += 3'600'000;
  h->step();
  EXPECT_EQ(h->status_of("g", "gate"), "done");
}
