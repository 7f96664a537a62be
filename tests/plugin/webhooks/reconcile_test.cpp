// What webhooks save of GitHub's rate limit, counted by the fake GitHub: deliveries for many pull
// requests are confirmed by one GraphQL request, and once deliveries show that webhooks reach a
// repository, a cycle in which nothing changed asks GitHub nothing; only the reconcile poll
// (webhook.reconcile_s) still reads the quiet gates.
#include <gtest/gtest.h>

#include "webhook_support.hpp"

using namespace gkwh;
using gktest::Host;

namespace {

constexpr const char *kRepo = "Codertocat/Hello-World";
constexpr int kPrs[] = {2, 3, 4};

std::string head_of(int pr) {
  return std::string(39, 'a') + std::to_string(pr);
}

gkfake::PullState pull(int pr, const std::string &status, const std::string &conclusion) {
  gkfake::PullState s;
  s.head_sha = head_of(pr);
  s.checks = {{"build", status, conclusion, ""}};
  return s;
}

// GitHub's check_run "completed" example, retargeted at one pull request of kRepo.
json::object check_run_for(int pr) {
  for (const auto &e : examples("check_run")) {
    if (e.at("action") != "completed") continue;
    json::object payload = e.as_object();
    auto &run = payload.at("check_run").as_object();
    run["head_sha"] = head_of(pr);
    auto &prs = run["pull_requests"];
    json::object ref = prs.is_array() && !prs.as_array().empty() ? prs.as_array().at(0).as_object()
                                                                 : json::object{};
    ref["number"] = pr;
    prs = json::array{ref};
    return payload;
  }
  ADD_FAILURE() << "no check_run.completed example";
  return {};
}

struct Reconcile : ::testing::Test {
  ScopedEnv secret{kSecretEnv, std::string(kSecret)};
  ScopedEnv token{kTokenEnv, std::string("gk-test-token")};
  gkfake::FakeGitHub fake;
  std::unique_ptr<Host> h;

  void SetUp() override {
    keep_loopback_off_proxies();
    for (int pr : kPrs) fake.set_pull(kRepo, pr, pull(pr, "in_progress", ""));
    h = std::make_unique<Host>(config_for(fake));
    for (int pr : kPrs)
      gate_goal(*h, "pr" + std::to_string(pr), {{"type", "gh_ci"}, {"repo", kRepo}, {"pr", pr}});
    h->step();  // every gate has been polled once
    for (int pr : kPrs)
      ASSERT_TRUE(poll_memo(*h, "pr" + std::to_string(pr), "gate").contains("fp"));
  }

  // Counted requests of one step, after `ms` more milliseconds.
  int counted_after(int64_t ms) {
    h->now += ms;
    fake.reset_counts();
    h->step();
    return fake.counted_requests();
  }
};

}  // namespace

TEST_F(Reconcile, DeliveriesForManyPullRequestsAreConfirmedByOneRequest) {
  for (int pr : kPrs) fake.set_pull(kRepo, pr, pull(pr, "completed", "success"));
  fake.reset_counts();
  for (int pr : kPrs) {
    Delivery d = deliver_signed(h->plugin, "check_run", check_run_for(pr));
    ASSERT_EQ(d.rc, GK_OK) << d.error;
    ASSERT_EQ(refs(d.result, "matched"),
              std::vector<std::string>{"pr" + std::to_string(pr) + "/gate"});
  }
  EXPECT_EQ(fake.requests(), 0) << "a delivery asked GitHub by itself";
  confirm(*h);
  EXPECT_EQ(fake.counted_requests(), 1);
  for (int pr : kPrs) EXPECT_EQ(h->status_of("pr" + std::to_string(pr), "gate"), "done");
}

TEST_F(Reconcile, AnUnchangedCycleOnAFedRepositoryAsksGitHubNothing) {
  // One delivery (a check of PR 2 finished; the others still run) shows that webhooks reach
  // the repository.
  ASSERT_EQ(deliver_signed(h->plugin, "check_run", check_run_for(2)).rc, GK_OK);
  h->now += 1000;
  EXPECT_EQ(counted_after(0), 1) << "PR 2's delivery is confirmed by a read";
  // The gates that were not nudged reach their next poll (30 s +- 10%) and learn of the feed.
  EXPECT_EQ(counted_after(40'000), 1);
  // Nothing changes for the next five minutes: no request at all.
  for (int k = 0; k < 10; ++k) {
    fake.reset_counts();
    h->now += 30'000;
    h->step();
    EXPECT_EQ(fake.requests(), 0) << "cycle " << k;
  }
  // The reconcile poll reads them all again, in one request.
  EXPECT_EQ(counted_after(600'000), 1);
  for (int pr : kPrs) EXPECT_EQ(h->status_of("pr" + std::to_string(pr), "gate"), "active");
}

TEST_F(Reconcile, WithoutDeliveriesQuietGatesAreStillPolled) {
  int counted = 0;
  for (int k = 0; k < 10; ++k) counted += counted_after(30'000);
  EXPECT_GE(counted, 3) << "polling stopped without any webhook";
}
