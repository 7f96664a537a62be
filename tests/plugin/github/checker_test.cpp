// The gh_ci / gh_review checker against the fake GitHub over loopback: verdicts through GraphQL
// and REST, pagination, new head commits, every fault mode, rate limits, ETags, batching, and
// the token nowhere in what the checker hands back.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cmath>

#include "core/failure_text.hpp"
#include "fake_github.hpp"
#include "github/checkers.hpp"
#include "github/github_checker.hpp"
#include "github/settings.hpp"

namespace json = boost::json;
using gk::GateOutcome;
using gk::GatePoll;
using Kind = gk::GateOutcome::Kind;
using gkfake::Fault;

namespace {

constexpr const char *kTokenEnv = "GK_TEST_GITHUB_TOKEN";
constexpr const char *kToken = "gk-test-token-that-must-never-leak-0123";
constexpr int64_t kNow = 5'000'000;
constexpr const char *kHead = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
constexpr const char *kHead2 = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";

int64_t epoch_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

gkfake::PullState pull(std::vector<gkfake::CheckRun> checks,
                       std::vector<gkfake::StatusContext> statuses = {}) {
  gkfake::PullState s;
  s.head_sha = kHead;
  s.checks = std::move(checks);
  s.statuses = std::move(statuses);
  return s;
}

struct Checker : ::testing::Test {
  gkfake::FakeGitHub fake;
  std::unique_ptr<gk::GateChecker> checker;
  std::vector<std::string> produced;  // every string the checker handed back
  bool graphql = true;

  void SetUp() override {
    setenv(kTokenEnv, kToken, 1);
    make();
  }
  void TearDown() override {
    for (const auto &s : produced) EXPECT_EQ(s.find(kToken), std::string::npos) << s;
    unsetenv(kTokenEnv);
  }

  json::object config(json::object extra = {}) {
    json::object gh{{"api_url", fake.api_url()},
                    {"graphql_url", fake.graphql_url()},
                    {"token_env", kTokenEnv},
                    {"timeout_s", 5},
                    {"graphql", graphql}};
    for (const auto &kv : extra) gh[kv.key()] = kv.value();
    return {{"github", gh}};
  }
  void make(json::object extra = {}) {
    gk::Config c;
    c.raw = config(std::move(extra));
    checker = std::make_unique<gk::github::GitHubChecker>(gk::github::read_settings(c));
  }

  static GatePoll ci(int pr, json::object memo = {}, json::object extra = {}) {
    GatePoll p;
    p.gate = "goal/ci" + std::to_string(pr);
    p.config = {{"type", "gh_ci"}, {"repo", "octo/app"}, {"pr", pr}};
    for (const auto &kv : extra) p.config[kv.key()] = kv.value();
    p.memo = std::move(memo);
    return p;
  }
  static GatePoll review(int pr, int64_t min_approvals = 1) {
    GatePoll p;
    p.gate = "goal/review" + std::to_string(pr);
    p.config = {
        {"type", "gh_review"}, {"repo", "octo/app"}, {"pr", pr}, {"min_approvals", min_approvals}};
    return p;
  }

  std::vector<GateOutcome> poll(const std::vector<GatePoll> &due, int64_t now = kNow,
                                int64_t budget = 5'000) {
    auto out = checker->poll(due, now, budget);
    EXPECT_EQ(out.size(), due.size());
    for (const auto &o : out) {
      produced.push_back(o.reason);
      produced.push_back(json::serialize(o.artifacts));
      produced.push_back(json::serialize(o.memo));
      if (o.kind == Kind::wait) {
        EXPECT_GT(o.next_poll_ms, now) << o.reason;
      }
    }
    return out;
  }
  GateOutcome poll1(const GatePoll &p, int64_t now = kNow, int64_t budget = 5'000) {
    return poll({p}, now, budget).at(0);
  }
};

struct BothApis : Checker, ::testing::WithParamInterface<bool> {
  void SetUp() override {
    graphql = GetParam();
    Checker::SetUp();
  }
};

INSTANTIATE_TEST_SUITE_P(Api, BothApis, ::testing::Values(true, false),
                         [](const auto &info) { return info.param ? "GraphQL" : "REST"; });

}  // namespace

TEST_P(BothApis, EveryCheckRunConclusion) {
  struct Case {
    const char *conclusion;
    Kind kind;
  } cases[] = {
      {"success", Kind::pass},         {"neutral", Kind::pass},         {"skipped", Kind::pass},
      {"failure", Kind::fail},         {"cancelled", Kind::fail},       {"timed_out", Kind::fail},
      {"action_required", Kind::fail}, {"startup_failure", Kind::fail}, {"stale", Kind::fail}};
  for (const auto &c : cases) {
    fake.set_pull("octo/app", 1,
                  pull({{"build", "completed", "success", ""},
                        {"test", "completed", c.conclusion, "https://ci.example/test/1"}}));
    GateOutcome o = poll1(ci(1));
    EXPECT_EQ(o.kind, c.kind) << c.conclusion;
    if (c.kind == Kind::fail) {
      EXPECT_EQ(o.artifacts.at("head_sha"), kHead);
      const auto &failed = o.artifacts.at("failed_checks").as_array();
      ASSERT_EQ(failed.size(), 1u);
      EXPECT_EQ(failed[0].at("name"), "test");
      EXPECT_EQ(failed[0].at("conclusion"), c.conclusion);
      EXPECT_EQ(failed[0].at("url"), "https://ci.example/test/1");
    }
  }
}

TEST_P(BothApis, EveryUnfinishedCheckRunStatusWaits) {
  for (const char *status : {"queued", "in_progress", "waiting", "requested", "pending"}) {
    fake.set_pull("octo/app", 1,
                  pull({{"build", "completed", "success", ""}, {"test", status, "", ""}}));
    GateOutcome o = poll1(ci(1));
    EXPECT_EQ(o.kind, Kind::wait) << status;
    EXPECT_TRUE(o.reason.empty()) << o.reason;
    EXPECT_EQ(o.memo.at("head"), kHead);
  }
}

TEST_P(BothApis, EveryCombinedStatusState) {
  struct Case {
    const char *state;
    Kind kind;
  } cases[] = {{"success", Kind::pass},
               {"pending", Kind::wait},
               {"failure", Kind::fail},
               {"error", Kind::fail}};
  for (const auto &c : cases) {
    fake.set_pull("octo/app", 1,
                  pull({{"build", "completed", "success", ""}},
                       {{"ci/jenkins", c.state, "https://jenkins.example/1"}}));
    GateOutcome o = poll1(ci(1));
    EXPECT_EQ(o.kind, c.kind) << c.state;
    if (c.kind == Kind::fail) {
      const auto &failed = o.artifacts.at("failed_statuses").as_array();
      ASSERT_FALSE(failed.empty());
      EXPECT_EQ(failed[0].at("context"), "ci/jenkins");
      EXPECT_EQ(failed[0].at("state"), c.state);
      EXPECT_EQ(failed[0].at("url"), "https://jenkins.example/1");
    }
  }
  // Only statuses, no check runs.
  fake.set_pull("octo/app", 1, pull({}, {{"ci/jenkins", "success", ""}}));
  EXPECT_EQ(poll1(ci(1)).kind, Kind::pass);
  // Only check runs: GitHub's combined status says "pending" with total_count 0: no statuses.
  fake.set_pull("octo/app", 1, pull({{"build", "completed", "success", ""}}));
  EXPECT_EQ(poll1(ci(1)).kind, Kind::pass);
  // Nothing at all yet: wait.
  fake.set_pull("octo/app", 1, pull({}));
  EXPECT_EQ(poll1(ci(1)).kind, Kind::wait);
}

TEST_P(BothApis, PaginationPastOneHundredCheckRuns) {
  std::vector<gkfake::CheckRun> checks;
  for (int i = 0; i < 250; ++i)
    checks.push_back({"check-" + std::to_string(i), "completed", "success", ""});
  fake.set_pull("octo/app", 1, pull(checks));
  fake.reset_counts();
  EXPECT_EQ(poll1(ci(1)).kind, Kind::pass);
  if (GetParam())
    EXPECT_EQ(fake.requests("/api/graphql"), 3);  // 100 + 100 + 50 contexts
  else
    EXPECT_EQ(fake.requests("/api/v3/repos/octo/app/commits"), 4);  // 3 pages + status
  checks[237].conclusion = "failure";
  fake.set_pull("octo/app", 1, pull(checks));
  GateOutcome o = poll1(ci(1));
  ASSERT_EQ(o.kind, Kind::fail);
  EXPECT_EQ(o.artifacts.at("failed_checks").as_array()[0].at("name"), "check-237");
  checks[237] = {"check-237", "in_progress", "", ""};
  fake.set_pull("octo/app", 1, pull(checks));
  EXPECT_EQ(poll1(ci(1)).kind, Kind::wait);
}

TEST_P(BothApis, LatestRunPerCheckName) {
  // A failed run, then a re-run of the same check that succeeded.
  fake.set_pull(
      "octo/app", 1,
      pull({{"build", "completed", "failure", ""}, {"build", "completed", "success", ""}}));
  EXPECT_EQ(poll1(ci(1)).kind, Kind::pass);
  fake.set_pull("octo/app", 1,
                pull({{"build", "completed", "failure", ""}, {"build", "in_progress", "", ""}}));
  EXPECT_EQ(poll1(ci(1)).kind, Kind::wait);
}

TEST_P(BothApis, RequiredChecksOnly) {
  fake.set_pull("octo/app", 1,
                pull({{"build", "completed", "success", ""},
                      {"optional-flaky", "completed", "failure", ""}}));
  json::object only_build{{"checks", json::array{"build"}}};
  EXPECT_EQ(poll1(ci(1, {}, only_build)).kind, Kind::pass);
  EXPECT_EQ(poll1(ci(1)).kind, Kind::fail);
  json::object build_and_lint{{"checks", json::array{"build", "lint"}}};
  EXPECT_EQ(poll1(ci(1, {}, build_and_lint)).kind, Kind::wait);  // lint has not appeared
}

TEST_P(BothApis, NewHeadCommitRestartsTheGate) {
  fake.set_pull("octo/app", 1, pull({{"build", "in_progress", "", ""}}));
  GateOutcome first = poll1(ci(1));
  ASSERT_EQ(first.kind, Kind::wait);
  EXPECT_EQ(first.memo.at("head"), kHead);
  auto pushed = pull({{"build", "completed", "failure", ""}});
  pushed.head_sha = kHead2;
  fake.set_pull("octo/app", 1, pushed);
  GateOutcome second = poll1(ci(1, first.memo));
  EXPECT_EQ(second.kind, Kind::wait);
  EXPECT_EQ(second.reason, std::string("new head commit ") + kHead + ".." + kHead2);
  EXPECT_EQ(second.memo.at("head"), kHead2);
  EXPECT_EQ(second.memo.at("previous_head"), kHead);
  // The next poll judges the new commit.
  GateOutcome third = poll1(ci(1, second.memo));
  EXPECT_EQ(third.kind, Kind::fail);
  EXPECT_EQ(third.artifacts.at("head_sha"), kHead2);
}

TEST_P(BothApis, GateOnACommit) {
  fake.set_pull("octo/app", 1, pull({{"build", "completed", "success", ""}}));
  GatePoll p = ci(1);
  p.config.erase("pr");
  p.config["sha"] = kHead;
  EXPECT_EQ(poll1(p).kind, Kind::pass);
}

TEST_P(BothApis, Reviews) {
  auto with = [&](std::string decision, std::vector<gkfake::Review> reviews) {
    auto s = pull({});
    s.review_decision = std::move(decision);
    s.reviews = std::move(reviews);
    fake.set_pull("octo/app", 1, s);
  };
  with("", {{"ann", "COMMENTED", "hm"}, {"bob", "APPROVED", "ship it"}});
  EXPECT_EQ(poll1(review(1)).kind, Kind::pass);
  EXPECT_EQ(poll1(review(1, 2)).kind, Kind::wait);
  with("", {{"ann", "CHANGES_REQUESTED", "please rename foo"},
            {"bob", "APPROVED", ""},
            {"ann", "COMMENTED", "still waiting"}});
  GateOutcome o = poll1(review(1));
  ASSERT_EQ(o.kind, Kind::fail);
  EXPECT_EQ(o.artifacts.at("reviewers").as_array(), json::array{"ann"});
  EXPECT_EQ(o.artifacts.at("reviews").as_array()[0].at("body"), "please rename foo");
  with("", {{"ann", "CHANGES_REQUESTED", "x"}, {"ann", "DISMISSED", "x"}});
  EXPECT_EQ(poll1(review(1)).kind, Kind::wait);
  with("", {{"ann", "PENDING", ""}, {"bob", "COMMENTED", ""}});
  EXPECT_EQ(poll1(review(1)).kind, Kind::wait);
  if (GetParam()) {  // decisions exist only in GraphQL
    with("APPROVED", {{"bob", "APPROVED", ""}});
    EXPECT_EQ(poll1(review(1)).kind, Kind::pass);
    with("REVIEW_REQUIRED", {{"bob", "APPROVED", ""}});
    EXPECT_EQ(poll1(review(1)).kind, Kind::wait);
    with("CHANGES_REQUESTED", {{"cy", "CHANGES_REQUESTED", "tests are missing"}});
    o = poll1(review(1));
    ASSERT_EQ(o.kind, Kind::fail);
    EXPECT_EQ(o.artifacts.at("reviewers").as_array(), json::array{"cy"});
    EXPECT_EQ(o.artifacts.at("reviews").as_array()[0].at("body"), "tests are missing");
  }
}

TEST_P(BothApis, UnknownPullRequestBlocksWithAnActionableReason) {
  fake.set_pull("octo/app", 1, pull({}));
  GateOutcome o = poll1(ci(404));
  EXPECT_EQ(o.kind, Kind::blocked);
  EXPECT_NE(o.reason.find("octo/app#404"), std::string::npos) << o.reason;
  EXPECT_NE(o.reason.find(std::string("$") + kTokenEnv), std::string::npos) << o.reason;
}

TEST_F(Checker, InvalidConfigBlocks) {
  GatePoll p = ci(1);
  p.config["repo"] = "not a repo";
  GateOutcome o = poll1(p);
  EXPECT_EQ(o.kind, Kind::blocked);
  EXPECT_NE(o.reason.find("repo"), std::string::npos);
}

// --- faults -------------------------------------------------------------------------------

struct Faults : Checker, ::testing::WithParamInterface<std::string> {
  void SetUp() override {
    graphql = GetParam() == "/api/graphql";
    Checker::SetUp();
    fake.set_pull("octo/app", 1, pull({{"build", "completed", "success", ""}}));
  }
  const std::string &where() const { return GetParam(); }
};

INSTANTIATE_TEST_SUITE_P(On, Faults, ::testing::Values("/api/graphql", "/api/v3"),
                         [](const auto &info) {
                           return info.param == "/api/graphql" ? "GraphQL" : "REST";
                         });

TEST_P(Faults, ServerErrorWaitsWithGrowingBackoff) {
  fake.set_fault(Fault::server_error, -1, where());
  GateOutcome a = poll1(ci(1));
  EXPECT_EQ(a.kind, Kind::wait);
  EXPECT_NE(a.reason.find("502"), std::string::npos) << a.reason;
  EXPECT_GE(a.next_poll_ms, kNow + 4'000);
  GateOutcome b = poll1(ci(1, a.memo));
  EXPECT_EQ(b.kind, Kind::wait);
  EXPECT_GT(b.next_poll_ms - kNow, a.next_poll_ms - kNow);
  fake.clear_faults();
  EXPECT_EQ(poll1(ci(1, b.memo)).kind, Kind::pass);
}

// The wait in "retrying in 1.8 s" (or "800 ms"), in ms; -1 when the reason names none.
int64_t reported_wait_ms(const std::string &reason) {
  auto at = reason.find("retrying in ");
  if (at == std::string::npos) return -1;
  std::string rest = reason.substr(at + 12);
  size_t used = 0;
  double n = std::stod(rest, &used);
  rest = rest.substr(used);
  if (rest.starts_with(" ms")) return static_cast<int64_t>(n);
  if (rest.starts_with(" s")) return static_cast<int64_t>(std::llround(n * 1000));
  return -1;
}

TEST_P(Faults, RetryWaitNeverExceedsMaxBackoff) {
  fake.set_fault(Fault::server_error, -1, where());
  struct Case {
    double backoff_s, max_backoff_s;
  } cases[] = {{1, 2}, {5, 2}, {0.4, 1.5}};
  for (const auto &c : cases) {
    make({{"backoff_s", c.backoff_s}, {"max_backoff_s", c.max_backoff_s}});
    const auto max_ms = static_cast<int64_t>(c.max_backoff_s * 1000);
    // Gates of other ids get other jitter; several failures in a row reach the cap.
    for (int g = 0; g < 12; ++g) {
      GatePoll p = ci(1);
      p.gate = "goal/retry-" + std::to_string(g);
      for (int attempt = 1; attempt <= 5; ++attempt) {
        GateOutcome o = poll1(p);
        SCOPED_TRACE(p.gate + " attempt " + std::to_string(attempt) + ": " + o.reason);
        ASSERT_EQ(o.kind, Kind::wait);
        EXPECT_GT(o.next_poll_ms, kNow);
        EXPECT_LE(o.next_poll_ms - kNow, max_ms);
        int64_t said = reported_wait_ms(o.reason);
        ASSERT_GE(said, 0);
        EXPECT_LE(said, max_ms);
        EXPECT_LE(said, o.next_poll_ms - kNow);  // rounded down, never up
        p.memo = o.memo;
      }
    }
  }
}

TEST_P(Faults, HangTimesOutWithinTheBudget) {
  fake.set_fault(Fault::hang, 1, where());
  auto start = std::chrono::steady_clock::now();
  GateOutcome o = poll1(ci(1), kNow, 300);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(o.kind, Kind::wait);
  EXPECT_FALSE(o.reason.empty());
  EXPECT_LT(took, std::chrono::milliseconds(2'000));
  EXPECT_GE(o.next_poll_ms, kNow + 4'000);
}

TEST_P(Faults, BadAndTruncatedJsonWait) {
  for (Fault f : {Fault::bad_json, Fault::truncated_json}) {
    fake.set_fault(f, 1, where());
    GateOutcome o = poll1(ci(1));
    EXPECT_EQ(o.kind, Kind::wait);
    EXPECT_FALSE(o.reason.empty());
    EXPECT_GE(o.next_poll_ms, kNow + 4'000);
  }
  EXPECT_EQ(poll1(ci(1)).kind, Kind::pass);
}

TEST_P(Faults, PrimaryRateLimitPausesTheHostUntilTheReset) {
  fake.set_rate_limit(5000, epoch_s() + 120);
  fake.set_fault(Fault::rate_limited, 1, where());
  GateOutcome o = poll1(ci(1));
  EXPECT_EQ(o.kind, Kind::wait);
  EXPECT_NE(o.reason.find("rate limit"), std::string::npos) << o.reason;
  EXPECT_GE(o.next_poll_ms, kNow + 110'000);
  EXPECT_LE(o.next_poll_ms, kNow + 125'000);
  // Another gate due now does not ask GitHub at all until the reset.
  fake.reset_counts();
  GateOutcome other = poll1(ci(2), kNow + 1'000);
  EXPECT_EQ(fake.requests(), 0);
  EXPECT_EQ(other.kind, Kind::wait);
  EXPECT_GE(other.next_poll_ms, kNow + 110'000);
  // After the reset, polling resumes.
  EXPECT_EQ(poll1(ci(1), kNow + 130'000).kind, Kind::pass);
}

TEST_P(Faults, SecondaryLimitObeysRetryAfter) {
  fake.set_fault(Fault::too_many, 1, where());
  GateOutcome o = poll1(ci(1));
  EXPECT_EQ(o.kind, Kind::wait);
  EXPECT_GE(o.next_poll_ms, kNow + 1'000);
  EXPECT_NE(o.reason.find("retry"), std::string::npos) << o.reason;
  EXPECT_EQ(poll1(ci(1), kNow + 2'000).kind, Kind::pass);
}

TEST_P(Faults, UsedUpLimitOnASuccessPausesLaterPolls) {
  fake.set_rate_limit(graphql ? 1 : 3, epoch_s() + 60);  // GraphQL: 1 request; REST: 3
  EXPECT_EQ(poll1(ci(1)).kind, Kind::pass);              // the last requests allowed
  fake.reset_counts();
  GateOutcome o = poll1(ci(2), kNow + 10);
  EXPECT_EQ(o.kind, Kind::wait);
  EXPECT_EQ(fake.requests(), 0);
  EXPECT_GE(o.next_poll_ms, kNow + 50'000);
}

TEST_F(Checker, UnauthorizedBlocksNamingTheVariable) {
  fake.set_pull("octo/app", 1, pull({}));
  fake.set_fault(Fault::unauthorized);  // GraphQL and REST
  GateOutcome o = poll1(ci(1));
  EXPECT_EQ(o.kind, Kind::blocked);
  EXPECT_EQ(o.reason,
            "GitHub answered 401 for octo/app#1: check the token in $GK_TEST_GITHUB_TOKEN "
            "(expired or revoked?)");
}

TEST_F(Checker, ForbiddenAndNotFoundBlock) {
  fake.set_pull("octo/app", 1, pull({}));
  for (Fault f : {Fault::forbidden, Fault::not_found}) {
    fake.clear_faults();
    fake.set_fault(f);
    GateOutcome o = poll1(review(1));
    EXPECT_EQ(o.kind, Kind::blocked);
    EXPECT_NE(o.reason.find(f == Fault::forbidden ? "403" : "404"), std::string::npos);
    EXPECT_NE(o.reason.find("$GK_TEST_GITHUB_TOKEN"), std::string::npos) << o.reason;
  }
}

TEST_F(Checker, GraphqlUnavailableFallsBackToRestAndReturns) {
  make({{"graphql_retry_s", 60}});
  fake.set_pull("octo/app", 1, pull({{"build", "completed", "success", ""}}));
  fake.set_graphql_enabled(false);
  fake.reset_counts();
  EXPECT_EQ(poll1(ci(1)).kind, Kind::pass);
  EXPECT_EQ(fake.requests("/api/graphql"), 1);
  EXPECT_GE(fake.requests("/api/v3"), 3);
  // While it is down, REST only.
  fake.reset_counts();
  EXPECT_EQ(poll1(ci(1), kNow + 30'000).kind, Kind::pass);
  EXPECT_EQ(fake.requests("/api/graphql"), 0);
  // After graphql_retry_s, GraphQL again.
  fake.set_graphql_enabled(true);
  fake.reset_counts();
  EXPECT_EQ(poll1(ci(1), kNow + 61'000).kind, Kind::pass);
  EXPECT_EQ(fake.requests("/api/graphql"), 1);
  EXPECT_EQ(fake.requests("/api/v3"), 0);
}

TEST_F(Checker, GraphqlErrorsWithoutDataFallBack) {
  // A query the server cannot serve answers {"errors": [...]} without data: REST instead.
  fake.set_pull("octo/app", 1, pull({{"build", "completed", "failure", ""}}));
  fake.set_fault(Fault::not_found, 1, "/api/graphql");
  GateOutcome o = poll1(ci(1));
  EXPECT_EQ(o.kind, Kind::fail);
}

TEST_F(Checker, EtagsMakeUnchangedRestPollsFree) {
  graphql = false;
  make();
  fake.set_pull("octo/app", 1, pull({{"build", "in_progress", "", ""}}));
  GateOutcome a = poll1(ci(1));
  ASSERT_EQ(a.kind, Kind::wait);
  fake.reset_counts();
  GateOutcome b = poll1(ci(1, a.memo), kNow + 40'000);
  EXPECT_EQ(b.kind, Kind::wait);
  EXPECT_EQ(fake.requests(), 3);          // pull, check runs, status
  EXPECT_EQ(fake.counted_requests(), 0);  // all 304
  EXPECT_EQ(b.memo.at("unchanged"), 1);
  EXPECT_GT(b.next_poll_ms - (kNow + 40'000), a.next_poll_ms - kNow);  // stretched
  fake.set_pull("octo/app", 1, pull({{"build", "completed", "success", ""}}));
  EXPECT_EQ(poll1(ci(1, b.memo), kNow + 90'000).kind, Kind::pass);
}

TEST_F(Checker, BatchesGatesIntoFewGraphqlRequests) {
  for (int n : {1, 50, 51, 120}) {
    std::vector<gkfake::PullEntry> pulls;
    std::vector<GatePoll> due;
    for (int i = 1; i <= n; ++i) {
      auto s = pull({{"build", "in_progress", "", ""}});
      s.review_decision = "REVIEW_REQUIRED";
      pulls.push_back({"octo/app", i, s});
      due.push_back(ci(i));
      due.push_back(review(i));
    }
    fake.set_pulls(pulls);
    fake.reset_counts();
    auto out = poll(due);
    for (const auto &o : out) EXPECT_EQ(o.kind, Kind::wait) << o.reason;
    EXPECT_EQ(fake.requests("/api/graphql"), (n + 49) / 50) << n;
    EXPECT_EQ(fake.requests("/api/v3"), 0) << n;
  }
}

TEST_F(Checker, TokenIsSentAsBearerAndNeverHandedBack) {
  fake.set_pull("octo/app", 1, pull({{"build", "completed", "failure", ""}}));
  poll1(ci(1));
  EXPECT_EQ(fake.last_authorization(), std::string("Bearer ") + kToken);
  for (Fault f : {Fault::unauthorized, Fault::forbidden, Fault::server_error, Fault::bad_json,
                  Fault::rate_limited, Fault::not_found, Fault::truncated_json, Fault::too_many}) {
    fake.clear_faults();
    fake.set_fault(f, 1);
    poll1(ci(1), kNow + 1'000'000);
    poll1(review(1), kNow + 1'000'000);
  }
  // TearDown greps every produced string for the token.
}

TEST_P(Faults, ARefusedRedirectSaysWhyAndWhere) {
  fake.set_pull("octo/app", 1, pull({{"build", "completed", "success", ""}}));
  const std::string origin = "http://127.0.0.1:" + std::to_string(fake.port());
  // GitHub answers 301 for a renamed repository; only https redirects are followed. Credentials
  // that a Location might carry stay out of the message, as does our token.
  struct Case {
    std::string location, shown;
  } cases[] = {{origin + "/api/v3/repos/octo/renamed/pulls/1",
                origin + "/api/v3/repos/octo/renamed/pulls/1"},
               {"http://user:hunter2@127.0.0.1:1/elsewhere?access_token=abc#frag",
                "http://127.0.0.1:1/elsewhere"},
               {"ftp://files.example/x", "ftp://files.example/x"}};
  for (const auto &c : cases) {
    fake.clear_faults();
    fake.set_redirect(where(), c.location);
    GateOutcome o = poll1(ci(1));
    SCOPED_TRACE(c.location);
    EXPECT_EQ(o.kind, Kind::wait);
    EXPECT_NE(o.reason.find("refused a redirect from " + origin + where()), std::string::npos)
        << o.reason;
    EXPECT_NE(o.reason.find(" to " + c.shown + ": only https redirects are followed"),
              std::string::npos)
        << o.reason;
    for (const char *hidden : {"hunter2", "access_token", "frag", "Protocol", kToken})
      EXPECT_EQ(o.reason.find(hidden), std::string::npos) << hidden << " in " << o.reason;
  }
  fake.clear_faults();
  EXPECT_EQ(poll1(ci(1)).kind, Kind::pass);
}

TEST_F(Checker, WithoutATokenPollsRestUnauthenticated) {
  unsetenv(kTokenEnv);
  fake.set_pull("octo/app", 1, pull({{"build", "completed", "success", ""}}));
  fake.reset_counts();
  EXPECT_EQ(poll1(ci(1)).kind, Kind::pass);
  EXPECT_EQ(fake.requests("/api/graphql"), 0);
  EXPECT_EQ(fake.last_authorization(), "");
  fake.set_fault(Fault::not_found);
  GateOutcome o = poll1(ci(1));
  EXPECT_EQ(o.kind, Kind::blocked);
  EXPECT_NE(o.reason.find("$GK_TEST_GITHUB_TOKEN is not set"), std::string::npos) << o.reason;
}

TEST_F(Checker, FactoryRegistersAllGateTypes) {
  gk::Config c;
  c.raw = config();
  auto checkers = gk::make_github_checkers(c);
  auto handles = [&](const char *type) {
    for (const auto &k : checkers)
      if (k->handles(type)) return true;
    return false;
  };
  EXPECT_TRUE(handles("gh_ci"));
  EXPECT_TRUE(handles("gh_review"));
  EXPECT_TRUE(handles("centaur_review"));
  EXPECT_FALSE(handles("human_approval"));
}

TEST_F(Checker, CentaurUnreachableWaitsWithBackoff) {
  gk::Config c;
  c.raw = {{"centaur", {{"url", "http://127.0.0.1:1"}}}};
  auto checkers = gk::make_github_checkers(c);
  GatePoll p;
  p.gate = "goal/bot";
  p.config = {{"type", "centaur_review"}, {"repo", "octo/app"}, {"pr", 3}};
  for (const auto &k : checkers) {
    if (!k->handles("centaur_review")) continue;
    auto out = k->poll({p}, kNow, 2'000);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].kind, Kind::wait);
    EXPECT_NE(out[0].reason.find("https://github.com/octo/app/pull/3"), std::string::npos)
        << out[0].reason;
    EXPECT_GE(out[0].next_poll_ms, kNow + 4'000);
  }
}

// --- what a failure carries back to the agent ---------------------------------------------------

TEST_P(BothApis, AFailingCheckCarriesItsTitleAndSummary) {
  fake.set_pull("octo/app", 1,
                pull({{"build", "completed", "success", "", "Built", "all good"},
                      {"unit-tests", "completed", "failure", "https://ci.example/unit/77",
                       "3 tests \x1b[31mfailed\x07", "parser_test: 2 failures\nlexer_test: 1"}}));
  GateOutcome o = poll1(ci(1));
  ASSERT_EQ(o.kind, Kind::fail);
  const auto &failed = o.artifacts.at("failed_checks").as_array();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].at("name"), "unit-tests");
  EXPECT_EQ(failed[0].at("conclusion"), "failure");
  EXPECT_EQ(failed[0].at("url"), "https://ci.example/unit/77");
  EXPECT_EQ(failed[0].at("title"), "3 tests [31mfailed");  // control characters stripped
  EXPECT_EQ(failed[0].at("summary"), "parser_test: 2 failures\nlexer_test: 1");
  EXPECT_FALSE(o.artifacts.contains("failed_checks_omitted"));
}

TEST_F(Checker, AFailingStatusCarriesItsDescriptionOverRest) {
  // The fake serves status descriptions over REST only (its GraphQL StatusContext has none).
  fake.set_graphql_enabled(false);
  fake.set_pull("octo/app", 1,
                pull({{"build", "completed", "success", ""}},
                     {{"ci/jenkins", "failure", "https://jenkins.example/12", "Build #12 failed"},
                      {"ci/other", "success", "", ""}}));
  GateOutcome o = poll1(ci(1));
  ASSERT_EQ(o.kind, Kind::fail);
  const auto &failed = o.artifacts.at("failed_statuses").as_array();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].at("context"), "ci/jenkins");
  EXPECT_EQ(failed[0].at("state"), "failure");
  EXPECT_EQ(failed[0].at("url"), "https://jenkins.example/12");
  EXPECT_EQ(failed[0].at("description"), "Build #12 failed");
}

TEST_P(BothApis, AtMostTwentyFailingChecksEachSummaryCutAndTheRestCounted) {
  std::vector<gkfake::CheckRun> checks;
  const std::string long_summary(5'000, 's');
  for (int i = 0; i < 25; ++i)
    checks.push_back({"check-" + std::to_string(i), "completed", "failure", "", "t", long_summary});
  fake.set_pull("octo/app", 1, pull(checks));
  GateOutcome o = poll1(ci(1));
  ASSERT_EQ(o.kind, Kind::fail);
  const auto &failed = o.artifacts.at("failed_checks").as_array();
  ASSERT_EQ(failed.size(), gk::kFailureMaxChecks);
  EXPECT_EQ(o.artifacts.at("failed_checks_omitted"), 5);
  std::string summary(failed[0].at("summary").as_string());
  EXPECT_LE(summary.size(), gk::kFailureMaxSummaryBytes);
  EXPECT_TRUE(summary.ends_with(" bytes cut]")) << summary.substr(summary.size() - 40);
}

TEST_P(BothApis, ATokenInASummaryIsRedactedBeforeTheSummaryIsCut) {
  // The token straddles the cut: cut first, and half of it would be handed back unredacted.
  std::string summary(gk::kFailureMaxSummaryBytes - 30, 'x');
  summary += kToken;
  summary += std::string(1'000, 'y');
  fake.set_pull(
      "octo/app", 1,
      pull({{"unit-tests", "completed", "failure", "", std::string("key ") + kToken, summary}}));
  GateOutcome o = poll1(ci(1));
  ASSERT_EQ(o.kind, Kind::fail);
  const std::string text = json::serialize(o.artifacts);
  EXPECT_EQ(text.find(std::string(kToken).substr(0, 12)), std::string::npos) << text;
  EXPECT_NE(text.find("key [redacted]"), std::string::npos);
  EXPECT_NE(text.find("x[redacted]"), std::string::npos);
}

namespace {

gkfake::PullState changes_requested(bool with_decision) {
  gkfake::PullState s = pull({});
  if (with_decision) s.review_decision = "CHANGES_REQUESTED";
  s.reviews = {{"alice", "CHANGES_REQUESTED", "Please split the parser."},
               {"bob", "APPROVED", "fine by me"}};
  s.comments = {{"alice", "src/a.cpp", 12, "off by one", 0}, {"carol", "src/b.cpp", 3, "why?", -1}};
  return s;
}

}  // namespace

TEST_P(BothApis, AChangesRequestedFailureCarriesTheReviewAndItsLineComments) {
  fake.set_pull("octo/app", 1, changes_requested(GetParam()));
  GateOutcome o = poll1(review(1));
  ASSERT_EQ(o.kind, Kind::fail) << o.reason;
  EXPECT_EQ(o.artifacts.at("reviewers").as_array(), json::array{"alice"});
  const auto &reviews = o.artifacts.at("reviews").as_array();
  ASSERT_EQ(reviews.size(), 1u);
  EXPECT_EQ(reviews[0].at("reviewer"), "alice");
  EXPECT_EQ(reviews[0].at("body"), "Please split the parser.");
  const auto &comments = o.artifacts.at("comments").as_array();
  ASSERT_EQ(comments.size(), 2u);
  EXPECT_EQ(comments[0],
            (json::object{
                {"user", "alice"}, {"path", "src/a.cpp"}, {"line", 12}, {"body", "off by one"}}));
  EXPECT_EQ(comments[1].at("user"), "carol");
  EXPECT_EQ(comments[1].at("path"), "src/b.cpp");
  EXPECT_EQ(comments[1].at("line"), 3);
  EXPECT_FALSE(o.artifacts.contains("comments_error"));
  EXPECT_FALSE(o.artifacts.contains("comments_omitted"));
}

TEST_P(BothApis, LineCommentsAreReadOnlyWhenTheReviewGateFails) {
  const std::string comments = "/api/v3/repos/octo/app/pulls/1/comments";
  auto s = changes_requested(false);
  s.reviews = {{"alice", "COMMENTED", "hm"}};
  fake.set_pull("octo/app", 1, s);
  fake.reset_counts();
  EXPECT_EQ(poll1(review(1)).kind, Kind::wait);
  s.reviews = {{"alice", "APPROVED", ""}};
  fake.set_pull("octo/app", 1, s);
  EXPECT_EQ(poll1(review(1)).kind, Kind::pass);
  fake.set_pull("octo/app", 1, pull({{"build", "completed", "failure", ""}}));
  EXPECT_EQ(poll1(ci(1)).kind, Kind::fail);  // a failed gh_ci gate reads no comments
  EXPECT_EQ(fake.requests(comments), 0);
  fake.set_pull("octo/app", 1, changes_requested(false));
  EXPECT_EQ(poll1(review(1)).kind, Kind::fail);
  EXPECT_EQ(fake.requests(comments), 1);
}

TEST_P(BothApis, LineCommentsArePagedAndTheRequestingReviewersCommentsAreKept) {
  auto s = changes_requested(GetParam());
  s.comments.clear();
  for (int i = 0; i < 130; ++i)  // alice's 20 among 110 of carol's
    s.comments.push_back(
        {i % 6 == 0 && i < 120 ? "alice" : "carol", "f.cpp", i + 1, "c" + std::to_string(i), -1});
  fake.set_pull("octo/app", 1, s);
  fake.reset_counts();
  GateOutcome o = poll1(review(1));
  ASSERT_EQ(o.kind, Kind::fail);
  EXPECT_EQ(fake.requests("/api/v3/repos/octo/app/pulls/1/comments"), 2);  // per_page=100
  const auto &comments = o.artifacts.at("comments").as_array();
  ASSERT_EQ(comments.size(), gk::kFailureMaxComments);
  EXPECT_EQ(o.artifacts.at("comments_omitted"), 80);
  int alice = 0;
  for (const auto &c : comments) alice += c.at("user") == "alice";
  EXPECT_EQ(alice, 20);
  EXPECT_EQ(comments.back().at("body"), "c129");  // then the newest of the others, in order
  EXPECT_EQ(comments[0].at("body"), "c0");
}

TEST_P(BothApis, AFaultReadingLineCommentsKeepsTheFailureAndSaysSo) {
  fake.set_pull("octo/app", 1, changes_requested(GetParam()));
  fake.set_rate_limit(5000, epoch_s() + 60);  // the rate-limited answer pauses polling a minute
  for (Fault f : {Fault::server_error, Fault::bad_json, Fault::not_found, Fault::rate_limited}) {
    fake.clear_faults();
    fake.set_fault(f, -1, "/api/v3/repos/octo/app/pulls/1/comments");
    GateOutcome o = poll1(review(1), kNow + 1'000'000);
    ASSERT_EQ(o.kind, Kind::fail) << static_cast<int>(f) << ": " << o.reason;
    EXPECT_EQ(o.artifacts.at("reviews").as_array()[0].at("body"), "Please split the parser.");
    EXPECT_FALSE(o.artifacts.contains("comments"));
    ASSERT_TRUE(o.artifacts.contains("comments_error"));
    EXPECT_NE(o.artifacts.at("comments_error").as_string().find("octo/app#1"), std::string::npos)
        << o.artifacts.at("comments_error");
  }
  // Out of time before the comments were asked: the failure stands too.
  fake.clear_faults();
  fake.set_fault(Fault::hang, 1, "/api/v3/repos/octo/app/pulls/1/comments");
  GateOutcome o = poll1(review(1), kNow + 2'000'000, 300);
  ASSERT_EQ(o.kind, Kind::fail) << o.reason;
  EXPECT_TRUE(o.artifacts.contains("comments_error"));
}
