// Every example payload of check_run, check_suite, status, workflow_run, pull_request and
// pull_request_review in @octokit/webhooks-examples (tests/fixtures/github/webhooks) is signed,
// delivered and mapped (issue 5). For each example a goal watches what the payload names, the fake
// GitHub is scripted, and the result is checked by action:
//   check_run / check_suite / workflow_run completed, a status that is not pending,
//   pull_request_review submitted / dismissed  -> the gate is matched and the next step's read
//                                                 confirms it
//   pull_request synchronize                   -> the gate restarts and is scheduled
//   any other action                           -> ignored, with a reason naming the action
// Payloads with pull request numbers are matched by them (the gate was never polled, so it cannot
// match by head commit); payloads without (forks, statuses) by the head commit the gate's last
// poll saw. A bystander goal watching another repository with the same numbers and commit is never
// matched, and a delivery that matches nothing says what it looked for.
#include <gtest/gtest.h>

#include <algorithm>

#include "webhook_support.hpp"

using namespace gkwh;
using gktest::Host;

namespace {

// The pull request number used for gates that can only match by head commit.
constexpr int kShaOnlyPr = 41;
constexpr const char *kOldHead = "0000000000000000000000000000000000000001";

enum class Expect { confirm, restart, ignore };

// What the test (independently of the plugin) reads out of a GitHub payload.
struct Reading {
  std::string event;
  std::string action;  // "" for status
  std::string repo;
  std::vector<int64_t> prs;
  std::string sha;
  std::string gate_type;
  Expect expect = Expect::ignore;
};

std::string str(const json::value *v) {
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

Reading read(const std::string &event, const json::object &p) {
  Reading r;
  r.event = event;
  r.action = str(p.if_contains("action"));
  r.repo = str(p.at("repository").as_object().if_contains("full_name"));
  r.gate_type = "gh_ci";
  if (event == "check_run" || event == "check_suite" || event == "workflow_run") {
    const auto &holder = p.at(event).as_object();
    r.sha = str(holder.if_contains("head_sha"));
    for (const auto &pr : holder.at("pull_requests").as_array())
      r.prs.push_back(pr.at("number").to_number<int64_t>());
    r.expect = r.action == "completed" ? Expect::confirm : Expect::ignore;
  } else if (event == "status") {
    r.sha = str(p.if_contains("sha"));
    r.expect = str(p.if_contains("state")) != "pending" ? Expect::confirm : Expect::ignore;
  } else if (event == "pull_request_review") {
    r.gate_type = "gh_review";
    r.prs.push_back(p.at("pull_request").at("number").to_number<int64_t>());
    r.expect =
        r.action == "submitted" || r.action == "dismissed" ? Expect::confirm : Expect::ignore;
  } else if (event == "pull_request") {
    r.sha = str(p.at("pull_request").as_object().at("head").as_object().if_contains("sha"));
    r.prs.push_back(p.at("pull_request").at("number").to_number<int64_t>());
    r.expect = r.action == "synchronize" ? Expect::restart : Expect::ignore;
  }
  return r;
}

std::string what(const Reading &r) {
  std::string s = r.event + (r.action.empty() ? "" : "." + r.action) + " " + r.repo;
  for (auto pr : r.prs) s += " #" + std::to_string(pr);
  return s + " @" + r.sha;
}

// The repository name the bystander goal watches: same owner and name, another owner.
std::string other_repo(const std::string &repo) {
  return "someone-else/" + repo.substr(repo.find('/') + 1);
}

gkfake::PullState running(const std::string &head) {
  gkfake::PullState s;
  s.head_sha = head;
  s.checks = {{"build", "in_progress", "", ""}};
  s.review_decision = "REVIEW_REQUIRED";
  return s;
}

// What GitHub says once the thing the delivery announced has happened.
gkfake::PullState settled(const Reading &r, const std::string &head) {
  gkfake::PullState s;
  s.head_sha = head;
  if (r.event == "status") {
    s.statuses = {{"default", "success", ""}};
  } else if (r.event == "pull_request_review") {
    // After a dismissal the pull request needs a review again; after a submission it is approved.
    if (r.action == "dismissed") {
      s.review_decision = "REVIEW_REQUIRED";
    } else {
      s.review_decision = "APPROVED";
      s.reviews = {{"hubot", "APPROVED", "LGTM"}};
    }
  } else if (r.event == "pull_request") {
    s.checks = {{"build", "in_progress", "", ""}};  // the new head's checks just started
  } else {
    s.checks = {{"build", "completed", "success", ""}};
  }
  return s;
}

bool resolves(const Reading &r) {
  return r.expect == Expect::confirm &&
         !(r.event == "pull_request_review" && r.action == "dismissed");
}

struct Examples : ::testing::Test {
  ScopedEnv secret{kSecretEnv, std::string(kSecret)};
  ScopedEnv token{kTokenEnv, std::string("gk-test-token")};
  gkfake::FakeGitHub fake;

  // Sets up a goal `goal` watching `repo` the way the payload needs, with the fake's pull request
  // at `head` (still running); polls it once when the payload can only match by head commit (or
  // when the pull request moves to a new head).
  void watch(Host &h, const std::string &goal, const Reading &r, const std::string &repo) {
    int pr = r.prs.empty() ? kShaOnlyPr : static_cast<int>(r.prs.front());
    bool poll_first = r.prs.empty() || r.expect == Expect::restart;
    std::string head = r.expect == Expect::restart ? kOldHead : r.sha;
    fake.set_pull(repo, pr, running(head));
    gate_goal(h, goal, {{"type", r.gate_type}, {"repo", repo}, {"pr", pr}});
    if (poll_first) {
      h.step();  // the first poll: still running, so the gate waits and remembers the head
      ASSERT_EQ(h.status_of(goal, "gate"), "active");
      ASSERT_EQ(poll_memo(h, goal, "gate").at("head"), json::value(head));
    } else {
      ASSERT_FALSE(poll_memo(h, goal, "gate").contains("head"));
    }
  }

  void settle(const Reading &r, const std::string &repo) {
    int pr = r.prs.empty() ? kShaOnlyPr : static_cast<int>(r.prs.front());
    fake.set_pull(repo, pr, settled(r, r.sha));
  }

  void check_example(const Reading &r, const json::object &payload) {
    Host h(config_for(fake));
    ASSERT_NO_FATAL_FAILURE(watch(h, "watch", r, r.repo));
    ASSERT_NO_FATAL_FAILURE(watch(h, "bystander", r, other_repo(r.repo)));
    // A gate of the other type on the same pull request is not what the delivery is about.
    int pr = r.prs.empty() ? kShaOnlyPr : static_cast<int>(r.prs.front());
    ASSERT_NO_FATAL_FAILURE(gate_goal(
        h, "othertype",
        {{"type", r.gate_type == "gh_ci" ? "gh_review" : "gh_ci"}, {"repo", r.repo}, {"pr", pr}}));
    settle(r, r.repo);
    settle(r, other_repo(r.repo));
    Snapshot before = snapshot(h, fake, "watch");
    std::string id = new_delivery_id();

    Delivery d = deliver_signed(h.plugin, r.event, payload, id);
    ASSERT_EQ(d.rc, GK_OK) << d.error;
    const json::object &res = d.result;
    SCOPED_TRACE(json::serialize(res));
    EXPECT_EQ(res.at("event"), json::value(r.event));
    EXPECT_EQ(res.at("delivery"), json::value(id));
    EXPECT_EQ(res.at("duplicate"), json::value(false));
    ASSERT_TRUE(res.contains("message"));
    EXPECT_FALSE(res.at("message").as_string().empty());

    if (r.expect == Expect::ignore) {
      const auto *ignored = res.if_contains("ignored");
      ASSERT_TRUE(ignored && ignored->is_string());
      std::string why(ignored->as_string());
      EXPECT_TRUE(contains(why, r.action.empty() ? "pending" : r.action)) << why;
      EXPECT_TRUE(refs(res, "matched").empty());
      EXPECT_TRUE(refs(res, "scheduled").empty());
      EXPECT_EQ(before, snapshot(h, fake, "watch")) << "an ignored delivery changed something";
      return;
    }

    EXPECT_FALSE(res.contains("ignored"));
    EXPECT_EQ(refs(res, "matched"), std::vector<std::string>{"watch/gate"});
    auto kinds = h.event_kinds("watch");
    EXPECT_EQ(std::count(kinds.begin(), kinds.end(),
                         r.expect == Expect::restart ? "gate_restarted" : "gate_nudged"),
              1);
    EXPECT_EQ(h.status_of("bystander", "gate"), "active");
    EXPECT_EQ(h.status_of("othertype", "gate"), "active");
    auto bystander = h.event_kinds("bystander");
    EXPECT_EQ(std::count(bystander.begin(), bystander.end(), "gate_nudged") +
                  std::count(bystander.begin(), bystander.end(), "gate_restarted"),
              0);

    EXPECT_EQ(refs(res, "scheduled"), std::vector<std::string>{"watch/gate"});
    EXPECT_EQ(h.status_of("watch", "gate"), "active");
    auto keys = Host::run_keys(confirm(h));
    if (resolves(r)) {
      EXPECT_EQ(h.status_of("watch", "gate"), "done");
      // The task after the gate starts (the bystander's own poll may be due too).
      auto next = Host::run_keys(h.step());
      keys.insert(keys.end(), next.begin(), next.end());
      EXPECT_NE(std::find(keys.begin(), keys.end(), "watch/after#1"), keys.end());
      return;
    }
    EXPECT_EQ(h.status_of("watch", "gate"), "active");
    if (r.expect == Expect::restart) {
      // The gate now follows the new head commit; when its checks pass, polling passes the gate.
      EXPECT_EQ(poll_memo(h, "watch", "gate").at("head"), json::value(r.sha));
      gkfake::PullState green;
      green.head_sha = r.sha;
      green.checks = {{"build", "completed", "success", ""}};
      fake.set_pull(r.repo, static_cast<int>(r.prs.front()), green);
      h.now += 3'600'000;
      h.step();
      EXPECT_EQ(h.status_of("watch", "gate"), "done");
    }
  }

  // A delivery about another repository (same numbers, same commit) matches nothing and says
  // what it looked for.
  void check_other_repository(const Reading &r, const json::object &payload) {
    Host h(config_for(fake));
    ASSERT_NO_FATAL_FAILURE(watch(h, "bystander", r, other_repo(r.repo)));
    settle(r, other_repo(r.repo));
    Snapshot before = snapshot(h, fake, "bystander");
    Delivery d = deliver_signed(h.plugin, r.event, payload);
    ASSERT_EQ(d.rc, GK_OK) << d.error;
    SCOPED_TRACE(json::serialize(d.result));
    EXPECT_FALSE(d.result.contains("ignored"));
    EXPECT_TRUE(refs(d.result, "matched").empty());
    EXPECT_TRUE(refs(d.result, "scheduled").empty());
    std::string message(d.result.at("message").as_string());
    EXPECT_TRUE(contains(message, r.repo)) << message;
    if (!r.prs.empty()) {
      EXPECT_TRUE(contains(message, "#" + std::to_string(r.prs.front()))) << message;
    }
    if (!r.sha.empty()) {
      EXPECT_TRUE(contains(message, r.sha)) << message;
    }
    EXPECT_EQ(h.status_of("bystander", "gate"), "active");
    Snapshot after = snapshot(h, fake, "bystander");
    EXPECT_EQ(before.status, after.status);
    EXPECT_EQ(before.gate, after.gate);
    EXPECT_EQ(before.github_requests, after.github_requests);
  }

  // Runs every example of `event`; returns how many of them should affect a gate.
  int run_all(const std::string &event) {
    json::array all = examples(event);
    EXPECT_FALSE(all.empty());
    int mapped = 0;
    for (size_t k = 0; k < all.size(); ++k) {
      Reading r = read(event, all[k].as_object());
      SCOPED_TRACE(event + ".json[" + std::to_string(k) + "]: " + what(r));
      EXPECT_FALSE(r.repo.empty());
      check_example(r, all[k].as_object());
      if (r.expect != Expect::ignore) {
        ++mapped;
        check_other_repository(r, all[k].as_object());
      }
    }
    return mapped;
  }
};

}  // namespace

// The counts pin the fixtures: a changed fixture file must be looked at, not silently pass.
TEST_F(Examples, CheckRun) {
  EXPECT_EQ(run_all("check_run"), 3);
}
TEST_F(Examples, CheckSuite) {
  EXPECT_EQ(run_all("check_suite"), 4);
}
TEST_F(Examples, Status) {
  EXPECT_EQ(run_all("status"), 4);
}
TEST_F(Examples, WorkflowRun) {
  EXPECT_EQ(run_all("workflow_run"), 3);
}
TEST_F(Examples, PullRequest) {
  EXPECT_EQ(run_all("pull_request"), 1);
}
TEST_F(Examples, PullRequestReview) {
  EXPECT_EQ(run_all("pull_request_review"), 4);
}
