// The pull-request search against the fake GitHub over loopback: GraphQL paging, qualifiers,
// the REST fallback, the 1,000-result cap worked around with created: windows, the search rate
// limit, faults, refused queries and the token nowhere in a reason; and the query text, window
// and answer readers on their own.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <map>
#include <set>

#include "fake_github.hpp"
#include "github/pr_search.hpp"
#include "github/pr_search_parse.hpp"
#include "github/pr_search_query.hpp"
#include "github/settings.hpp"

using gk::github::FoundPull;
using gk::github::Problem;
using gk::github::SearchOutcome;
using gkfake::Fault;
using Clock = std::chrono::steady_clock;
namespace q = gk::github::pr_search;

namespace {

constexpr const char *kTokenEnv = "GK_TEST_SEARCH_TOKEN";
constexpr const char *kToken = "gk-search-token-that-must-never-leak-4567";
constexpr int64_t kNow = 7'000'000;
constexpr int64_t k2015 = 1'420'070'400;  // 2015-01-01T00:00:00Z
constexpr const char *kHead = "6dcb09b5b57875f334f61aebed695e2e4193db5e";

int64_t epoch_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string iso(int64_t epoch) {
  std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// n pull requests, created one a day from 2015-01-01 01:00, numbered per repository.
std::vector<gkfake::PullEntry> many(int n, std::vector<std::string> repos = {"octo/app"}) {
  std::vector<gkfake::PullEntry> out;
  for (int i = 0; i < n; ++i) {
    gkfake::PullEntry e;
    e.repo = repos[static_cast<size_t>(i) % repos.size()];
    e.number = i / static_cast<int>(repos.size()) + 1;
    e.state.title = "Change " + std::to_string(i);
    e.state.created_at = iso(k2015 + int64_t{i} * 86'400 + 3'600);
    e.state.updated_at = e.state.created_at;
    out.push_back(std::move(e));
  }
  return out;
}

std::set<std::string> keys(const SearchOutcome &o) {
  std::set<std::string> out;
  for (const auto &p : o.pulls) out.insert(p.repo + "#" + std::to_string(p.number));
  return out;
}

struct PullSearch : ::testing::Test {
  gkfake::FakeGitHub fake;
  std::unique_ptr<gk::github::PullSearch> searcher;
  std::vector<std::string> reasons;  // every reason handed back
  bool graphql = true;

  void SetUp() override {
    setenv(kTokenEnv, kToken, 1);
    make();
  }
  void TearDown() override {
    for (const auto &r : reasons) EXPECT_EQ(r.find(kToken), std::string::npos) << r;
    unsetenv(kTokenEnv);
  }

  gk::github::Settings settings() const {
    gk::github::Settings s;
    s.api_url = fake.api_url();
    s.graphql_url = fake.graphql_url();
    s.token_env = kTokenEnv;
    s.timeout_ms = 5'000;
    s.use_graphql = graphql;
    return s;
  }
  void make() { searcher = std::make_unique<gk::github::PullSearch>(settings()); }

  SearchOutcome run(const std::string &query, int64_t now = kNow, int64_t budget_ms = 20'000) {
    SearchOutcome o =
        searcher->search(query, now, Clock::now() + std::chrono::milliseconds(budget_ms));
    reasons.push_back(o.problem.reason);
    EXPECT_EQ(o.complete, !o.problem) << o.problem.reason;
    return o;
  }

  int search_requests() const { return fake.requests("/api/v3/search/issues"); }
};

struct PullSearchBothApis : PullSearch, ::testing::WithParamInterface<bool> {
  void SetUp() override {
    graphql = GetParam();
    PullSearch::SetUp();
  }
};

INSTANTIATE_TEST_SUITE_P(PullSearch, PullSearchBothApis, ::testing::Values(true, false),
                         [](const auto &info) { return info.param ? "GraphQL" : "REST"; });

}  // namespace

// --- paging ----------------------------------------------------------------------------------

TEST_F(PullSearch, TwoHundredFiftyMatchesTakeThreeGraphqlRequests) {
  auto pulls = many(250);
  auto others = many(10, {"octo/other"});
  pulls.insert(pulls.end(), others.begin(), others.end());
  fake.set_pulls(pulls);
  fake.reset_counts();
  SearchOutcome o = run("repo:octo/app");
  EXPECT_TRUE(o.complete);
  EXPECT_TRUE(o.used_graphql);
  EXPECT_EQ(o.requests, 3);
  EXPECT_EQ(fake.requests("/api/graphql"), 3);
  EXPECT_EQ(fake.requests(), 3);
  ASSERT_EQ(o.pulls.size(), 250u);
  EXPECT_EQ(keys(o).size(), 250u);
  for (const auto &p : o.pulls) {
    EXPECT_EQ(p.repo, "octo/app");
    EXPECT_EQ(p.head_sha, kHead);
  }
  // GitHub's order (the fake's best match: newest first), across pages.
  EXPECT_EQ(o.pulls.front().number, 250);
  EXPECT_EQ(o.pulls.back().number, 1);
}

TEST_F(PullSearch, RestFallbackPagesByHundredsWhenGraphqlIsOff) {
  fake.set_pulls(many(250));
  fake.set_graphql_enabled(false);
  fake.reset_counts();
  SearchOutcome o = run("repo:octo/app");
  EXPECT_TRUE(o.complete);
  EXPECT_FALSE(o.used_graphql);
  EXPECT_EQ(o.requests, 4);  // GraphQL's 404, then three pages
  EXPECT_EQ(fake.requests("/api/graphql"), 1);
  ASSERT_EQ(o.pulls.size(), 250u);
  EXPECT_EQ(keys(o).size(), 250u);
  for (const auto &p : o.pulls) EXPECT_EQ(p.head_sha, "");  // REST items carry no head
  std::vector<std::string> pages;
  for (const auto &line : fake.request_log())
    if (line.starts_with("GET /api/v3/search/issues")) pages.push_back(line);
  ASSERT_EQ(pages.size(), 3u);
  for (int k = 0; k < 3; ++k) {
    EXPECT_NE(
        pages[k].find("q=repo%3Aocto%2Fapp%20is%3Apr&per_page=100&page=" + std::to_string(k + 1)),
        std::string::npos)
        << pages[k];
  }
  // GraphQL proved unavailable: the next search goes straight to REST.
  fake.reset_counts();
  SearchOutcome again = run("repo:octo/app");
  EXPECT_EQ(again.requests, 3);
  EXPECT_EQ(fake.requests("/api/graphql"), 0);
  EXPECT_EQ(again.pulls.size(), 250u);
}

TEST_F(PullSearch, RestServesWhenGraphqlIsDisabledInTheSettings) {
  graphql = false;
  make();
  fake.set_pulls(many(250));
  fake.reset_counts();
  SearchOutcome o = run("repo:octo/app");
  EXPECT_TRUE(o.complete);
  EXPECT_FALSE(o.used_graphql);
  EXPECT_EQ(o.requests, 3);
  EXPECT_EQ(fake.requests("/api/graphql"), 0);
  EXPECT_EQ(o.pulls.size(), 250u);
  EXPECT_EQ(fake.last_authorization(), std::string("Bearer ") + kToken);
}

TEST_F(PullSearch, RestServesWithoutAToken) {
  unsetenv(kTokenEnv);
  fake.set_pulls(many(20));
  fake.reset_counts();
  SearchOutcome o = run("repo:octo/app");
  EXPECT_TRUE(o.complete);
  EXPECT_FALSE(o.used_graphql);
  EXPECT_EQ(o.requests, 1);
  EXPECT_EQ(fake.requests("/api/graphql"), 0);
  EXPECT_EQ(o.pulls.size(), 20u);
  EXPECT_EQ(fake.last_authorization(), "");
}

TEST_F(PullSearch, IsPrIsAddedWhenAbsentAndNotTwice) {
  graphql = false;
  make();
  fake.set_pulls(many(3));
  run("repo:octo/app");
  run("is:pr repo:octo/app");
  run("repo:octo/app  type:PR");
  auto log = fake.request_log();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_NE(log[0].find("q=repo%3Aocto%2Fapp%20is%3Apr&"), std::string::npos) << log[0];
  EXPECT_NE(log[1].find("q=is%3Apr%20repo%3Aocto%2Fapp&"), std::string::npos) << log[1];
  EXPECT_NE(log[2].find("q=repo%3Aocto%2Fapp%20type%3APR&"), std::string::npos) << log[2];
}

// --- qualifiers and fields -------------------------------------------------------------------

TEST_P(PullSearchBothApis, QualifiersNarrowTheSearchEndToEnd) {
  auto pulls = many(60);
  size_t bug = 0, not_bug = 0, open_feature = 0, closed = 0, merged = 0, ui = 0;
  for (size_t i = 0; i < pulls.size(); ++i) {
    auto &s = pulls[i].state;
    if (i % 3 == 0) s.labels = {"bug"};
    if (i % 3 == 1) s.labels = {"feature", "ui"};
    if (i % 5 == 0) {
      s.state = "closed";
      s.closed_at = s.created_at;
      if (i % 10 == 0) {
        s.merged = true;
        s.merged_at = s.created_at;
      }
    }
    bool has_bug = i % 3 == 0;
    bug += has_bug;
    not_bug += !has_bug;
    open_feature += i % 3 == 1 && s.state == "open";
    ui += i % 3 == 1;
    closed += s.state == "closed";
    merged += s.merged;
  }
  fake.set_pulls(pulls);
  auto count = [&](const std::string &query) {
    SearchOutcome o = run(query);
    EXPECT_TRUE(o.complete) << query << ": " << o.problem.reason;
    EXPECT_EQ(o.used_graphql, GetParam());
    return o.pulls.size();
  };
  EXPECT_EQ(count("repo:octo/app label:bug"), bug);
  EXPECT_EQ(count("repo:octo/app -label:bug"), not_bug);
  EXPECT_EQ(count("repo:octo/app is:open label:feature"), open_feature);
  EXPECT_EQ(count("repo:octo/app is:closed"), closed);
  EXPECT_EQ(count("repo:octo/app is:merged"), merged);
  EXPECT_EQ(count("repo:octo/app label:\"ui\" is:pr"), ui);
  EXPECT_EQ(count("repo:octo/nothing"), 0u);
  for (const auto &p : run("repo:octo/app is:open label:feature").pulls) {
    EXPECT_EQ(p.state, "open");
    EXPECT_EQ(p.labels, (std::vector<std::string>{"feature", "ui"}));
  }
}

TEST_P(PullSearchBothApis, ClosedAndMergedPullRequestsMapToState) {
  gkfake::PullState open;
  open.title = "Draft work";
  open.author = "hubot";
  open.draft = true;
  open.labels = {"wip", "needs review"};
  open.created_at = "2024-03-01T10:00:00Z";
  open.updated_at = "2024-03-02T11:00:00Z";
  gkfake::PullState closed = open;
  closed.draft = false;
  closed.state = "closed";
  closed.closed_at = "2024-03-03T00:00:00Z";
  gkfake::PullState merged = closed;
  merged.merged = true;
  merged.merged_at = closed.closed_at;
  fake.set_pulls({{"Octo/App", 1, open}, {"Octo/App", 2, closed}, {"Octo/App", 3, merged}});
  SearchOutcome o = run("repo:octo/app");
  ASSERT_TRUE(o.complete) << o.problem.reason;
  ASSERT_EQ(o.pulls.size(), 3u);
  std::map<int64_t, FoundPull> by_number;
  for (const auto &p : o.pulls) by_number[p.number] = p;
  EXPECT_EQ(by_number.at(1).state, "open");
  EXPECT_EQ(by_number.at(2).state, "closed");
  EXPECT_EQ(by_number.at(3).state, "merged");
  const FoundPull &p = by_number.at(1);
  EXPECT_EQ(p.repo, "Octo/App");  // as GitHub spells it, not as the query did
  EXPECT_EQ(p.title, "Draft work");
  EXPECT_EQ(p.author, "hubot");
  EXPECT_TRUE(p.draft);
  EXPECT_FALSE(by_number.at(2).draft);
  EXPECT_EQ(p.labels, (std::vector<std::string>{"wip", "needs review"}));
  EXPECT_EQ(p.created_at, "2024-03-01T10:00:00Z");
  EXPECT_EQ(p.updated_at, "2024-03-02T11:00:00Z");
  EXPECT_EQ(p.url, "https://github.com/Octo/App/pull/1");
  EXPECT_EQ(p.head_sha, GetParam() ? kHead : "");
}

// --- the 1,000-result cap --------------------------------------------------------------------

TEST_F(PullSearch, MoreThanAThousandResultsAreSplitByCreatedWindows) {
  fake.set_pulls(many(2500, {"octo/app", "octo/lib", "Acme/tools"}));
  fake.reset_counts();
  SearchOutcome o = run("is:pr");
  EXPECT_TRUE(o.complete) << o.problem.reason;
  EXPECT_TRUE(o.used_graphql);
  EXPECT_EQ(o.pulls.size(), 2500u);
  EXPECT_EQ(keys(o).size(), 2500u);
  EXPECT_EQ(fake.requests("/api/graphql"), o.requests);
  // One per 100 results, plus the first page of each window that had to be split and the last,
  // short page of each window read.
  EXPECT_GE(o.requests, 25);
  EXPECT_LE(o.requests, 25 + 12) << o.requests;
  // Newest first across windows, as within one.
  EXPECT_EQ(o.pulls.front().created_at, iso(k2015 + 2499 * 86'400 + 3'600));
  EXPECT_EQ(o.pulls.back().created_at, iso(k2015 + 3'600));
  std::cout << "2500 pull requests in " << o.requests << " requests\n";
}

TEST_F(PullSearch, TheQuerysOwnCreatedRangeBoundsTheWindows) {
  fake.set_pulls(many(2500));
  SearchOutcome o = run("repo:octo/app created:2016-01-01..2020-12-31");
  EXPECT_TRUE(o.complete) << o.problem.reason;
  EXPECT_EQ(o.pulls.size(), 1827u);  // every day of 2016..2020
  for (const auto &p : o.pulls) {
    EXPECT_GE(p.created_at, "2016-01-01");
    EXPECT_LT(p.created_at, "2021-01-01");
  }
  SearchOutcome later = run("repo:octo/app created:>=2018-01-01 sort:created-asc");
  EXPECT_TRUE(later.complete) << later.problem.reason;
  size_t expected = 0;
  for (int i = 0; i < 2500; ++i) expected += iso(k2015 + int64_t{i} * 86'400) >= "2018-01-01";
  EXPECT_EQ(later.pulls.size(), expected);
  ASSERT_FALSE(later.pulls.empty());
  EXPECT_EQ(later.pulls.front().created_at, "2018-01-01T01:00:00Z");  // oldest window first
}

TEST_F(PullSearch, RestAlsoSplitsPastTheCap) {
  graphql = false;
  make();
  fake.set_search_rate_limit(1000, epoch_s() + 3600);
  fake.set_pulls(many(1200));
  fake.reset_counts();
  SearchOutcome o = run("repo:octo/app");
  EXPECT_TRUE(o.complete) << o.problem.reason;
  EXPECT_EQ(keys(o).size(), 1200u);
  EXPECT_EQ(o.requests, search_requests());
  EXPECT_LE(o.requests, 12 + 6);
}

TEST_F(PullSearch, AWindowThatCannotBeSplitIsReadToTheCapAndBlocked) {
  // Every pull request created in the same second: no created: window can separate them.
  auto pulls = many(1100);
  for (auto &p : pulls) p.state.created_at = "2020-05-05T05:05:05Z";
  fake.set_pulls(pulls);
  SearchOutcome o = run("repo:octo/app");
  EXPECT_FALSE(o.complete);
  EXPECT_EQ(o.problem.kind, Problem::Kind::blocked);
  EXPECT_NE(o.problem.reason.find("more than the 1,000"), std::string::npos) << o.problem.reason;
  EXPECT_EQ(keys(o).size(), 1000u);
}

// --- rate limits -----------------------------------------------------------------------------

TEST_F(PullSearch, RestSearchRateLimitStopsWithAResumeTime) {
  graphql = false;
  make();
  fake.set_pulls(many(250));
  fake.set_search_rate_limit(2, epoch_s() + 30);
  fake.reset_counts();
  SearchOutcome o = run("repo:octo/app");
  EXPECT_FALSE(o.complete);
  EXPECT_EQ(o.problem.kind, Problem::Kind::rate_limited);
  EXPECT_GT(o.problem.resume_ms, kNow);
  EXPECT_LE(o.problem.resume_ms, kNow + 35'000);
  EXPECT_NE(o.problem.reason.find("repo:octo/app"), std::string::npos) << o.problem.reason;
  EXPECT_EQ(o.requests, 2);  // remaining 0 after the second page: the third is not sent
  EXPECT_EQ(o.pulls.size(), 200u);
  // Until the reset nothing is sent.
  SearchOutcome again = run("repo:octo/app", kNow + 1'000);
  EXPECT_EQ(again.problem.kind, Problem::Kind::rate_limited);
  EXPECT_EQ(again.requests, 0);
  EXPECT_EQ(search_requests(), 2);
}

TEST_F(PullSearch, RestRateLimitAnswersStopTheSearch) {
  graphql = false;
  for (Fault f : {Fault::rate_limited, Fault::too_many}) {
    make();
    fake.set_pulls(many(10));
    fake.set_fault(f, 1, "/api/v3/search");
    SearchOutcome o = run("repo:octo/app");
    EXPECT_FALSE(o.complete);
    EXPECT_EQ(o.problem.kind, Problem::Kind::rate_limited) << o.problem.reason;
    EXPECT_GT(o.problem.resume_ms, kNow);
    EXPECT_EQ(o.requests, 1);
    EXPECT_TRUE(o.pulls.empty());
    fake.clear_faults();
  }
}

TEST_F(PullSearch, RestNeverSendsMoreThanThirtySearchesAMinute) {
  graphql = false;
  make();
  fake.set_search_rate_limit(1000, epoch_s() + 3600);  // GitHub would allow more: we do not
  fake.set_pulls(many(100));
  fake.reset_counts();
  for (int k = 0; k < 30; ++k) {
    SearchOutcome o = run("repo:octo/app", kNow + k);
    ASSERT_TRUE(o.complete) << k << ": " << o.problem.reason;
    ASSERT_EQ(o.requests, 1);
  }
  SearchOutcome over = run("repo:octo/app", kNow + 30);
  EXPECT_EQ(over.problem.kind, Problem::Kind::rate_limited);
  EXPECT_EQ(over.requests, 0);
  EXPECT_EQ(search_requests(), 30);
  EXPECT_GT(over.problem.resume_ms, kNow + 60'000);
  EXPECT_LE(over.problem.resume_ms, kNow + 70'000);
  // A minute later by the host's clock.
  SearchOutcome later = run("repo:octo/app", over.problem.resume_ms);
  EXPECT_TRUE(later.complete) << later.problem.reason;
  EXPECT_EQ(later.requests, 1);
}

TEST_F(PullSearch, GraphqlRateLimitUsedUpStopsBeforeTheNextPage) {
  fake.set_pulls(many(250));
  fake.set_rate_limit(2, epoch_s() + 100);
  SearchOutcome o = run("repo:octo/app");
  EXPECT_EQ(o.problem.kind, Problem::Kind::rate_limited) << o.problem.reason;
  EXPECT_GT(o.problem.resume_ms, kNow + 90'000);
  EXPECT_LE(o.problem.resume_ms, kNow + 105'000);
  EXPECT_EQ(o.requests, 2);
  EXPECT_EQ(o.pulls.size(), 200u);
  EXPECT_TRUE(o.used_graphql);
}

// --- faults and refusals ---------------------------------------------------------------------

TEST_P(PullSearchBothApis, ServerErrorGivesAnIncompleteOutcomeWithAFault) {
  fake.set_pulls(many(10));
  fake.set_fault(Fault::server_error);
  SearchOutcome o = run("repo:octo/app label:bug");
  EXPECT_FALSE(o.complete);
  EXPECT_EQ(o.problem.kind, Problem::Kind::fault);
  EXPECT_NE(o.problem.reason.find("502"), std::string::npos) << o.problem.reason;
  EXPECT_NE(o.problem.reason.find("repo:octo/app label:bug"), std::string::npos)
      << o.problem.reason;
  EXPECT_EQ(o.requests, 1);  // not retried here, and a 502 is no reason to leave GraphQL
  EXPECT_TRUE(o.pulls.empty());
  fake.clear_faults();
  EXPECT_TRUE(run("repo:octo/app").complete);
}

TEST_P(PullSearchBothApis, BadJsonIsAFault) {
  fake.set_pulls(many(10));
  fake.set_fault(Fault::bad_json, 1);
  SearchOutcome o = run("repo:octo/app");
  EXPECT_EQ(o.problem.kind, Problem::Kind::fault);
  EXPECT_NE(o.problem.reason.find("not valid JSON"), std::string::npos) << o.problem.reason;
}

TEST_F(PullSearch, AHangingGitHubStopsAtTheDeadline) {
  fake.set_pulls(many(10));
  fake.set_fault(Fault::hang);
  auto start = Clock::now();
  SearchOutcome o = run("repo:octo/app", kNow, 300);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  EXPECT_FALSE(o.complete);
  EXPECT_EQ(o.problem.kind, Problem::Kind::fault);
  EXPECT_NE(o.problem.reason.find("repo:octo/app"), std::string::npos) << o.problem.reason;
  fake.clear_faults();
}

TEST_P(PullSearchBothApis, AQueryGitHubRefusesIsBlockedWithItsMessage) {
  fake.set_pulls(many(10));
  SearchOutcome o = run("repo:octo/app created:>=yesterday");
  EXPECT_FALSE(o.complete);
  EXPECT_EQ(o.problem.kind, Problem::Kind::blocked);
  EXPECT_NE(o.problem.reason.find("The date in \"created:>=yesterday\""), std::string::npos)
      << o.problem.reason;
  EXPECT_NE(o.problem.reason.find("repo:octo/app"), std::string::npos) << o.problem.reason;
  EXPECT_EQ(o.requests, 1);
}

TEST_F(PullSearch, TheTokenNeverAppearsInAnyReason) {
  fake.set_pulls(many(10));
  // Even a query that carries the token (pasted by mistake) is shown redacted.
  const std::string leaky = std::string("repo:octo/app ") + kToken;
  for (Fault f : {Fault::server_error, Fault::unauthorized, Fault::forbidden, Fault::too_many,
                  Fault::rate_limited, Fault::bad_json, Fault::truncated_json}) {
    for (bool use_graphql : {true, false}) {
      graphql = use_graphql;
      make();
      fake.set_fault(f);
      SearchOutcome o = run(leaky);
      EXPECT_TRUE(static_cast<bool>(o.problem)) << static_cast<int>(f);
      EXPECT_NE(o.problem.reason.find("[redacted]"), std::string::npos) << o.problem.reason;
      fake.clear_faults();
    }
  }
  make();
  SearchOutcome refused = run(leaky + " created:>=yesterday");
  EXPECT_EQ(refused.problem.kind, Problem::Kind::blocked);
  unsetenv(kTokenEnv);
  graphql = false;
  make();
  fake.set_fault(Fault::unauthorized);
  SearchOutcome no_token = run("repo:octo/app");
  EXPECT_EQ(no_token.problem.kind, Problem::Kind::blocked);
  EXPECT_NE(no_token.problem.reason.find(std::string("$") + kTokenEnv), std::string::npos)
      << no_token.problem.reason;
}

// --- the query, its windows and the answers on their own ------------------------------------

TEST(PullSearchQuery, IsPrIsAddedAndTheOwnCreatedQualifierTakenOut) {
  auto p = q::prepare("  repo:o/r   label:\"needs review\" ");
  EXPECT_EQ(p.text, "repo:o/r label:\"needs review\" is:pr");
  EXPECT_EQ(p.base, p.text);
  EXPECT_EQ(p.range, q::Range{});
  EXPECT_TRUE(p.splittable);
  EXPECT_EQ(q::prepare("IS:PR x").text, "IS:PR x");
  EXPECT_EQ(q::prepare("-is:pr").text, "-is:pr is:pr");

  auto c = q::prepare("created:2020-01-01..2020-01-31 repo:o/r");
  EXPECT_EQ(c.base, "repo:o/r is:pr");
  EXPECT_EQ(c.range, (q::Range{1'577'836'800, 1'580'515'199}));
  EXPECT_EQ(q::prepare("created:>2020-01-01").range.lo, 1'577'923'200);
  EXPECT_EQ(q::prepare("created:<2020-01-01").range.hi, 1'577'836'799);
  EXPECT_EQ(q::prepare("created:*..2020-01-01T00:00:10Z").range,
            (q::Range{q::kOpenLow, 1'577'836'810}));
  EXPECT_FALSE(q::prepare("-created:2020-01-01").splittable);
  EXPECT_FALSE(q::prepare("created:>2020-01-01 created:<2021-01-01").splittable);
  auto bad = q::prepare("created:>=yesterday");
  EXPECT_FALSE(bad.splittable);
  EXPECT_EQ(bad.base, "created:>=yesterday is:pr");  // sent as written: GitHub says what is wrong
  EXPECT_TRUE(q::prepare("sort:created-asc").ascending);
}

TEST(PullSearchQuery, WindowsHalveDownToOneSecond) {
  auto p = q::prepare("repo:o/r");
  EXPECT_EQ(q::window_query(p, {}), "repo:o/r is:pr");
  EXPECT_EQ(q::window_query(p, {q::kOpenLow, 1'577'836'800}),
            "repo:o/r is:pr created:<=2020-01-01T00:00:00Z");
  EXPECT_EQ(q::window_query(p, {1'577'836'800, q::kOpenHigh}),
            "repo:o/r is:pr created:>=2020-01-01T00:00:00Z");
  EXPECT_EQ(q::window_query(p, {1'577'836'800, 1'577'836'801}),
            "repo:o/r is:pr created:2020-01-01T00:00:00Z..2020-01-01T00:00:01Z");
  const int64_t now = 1'800'000'000;
  auto halves = q::halve({}, now);
  ASSERT_TRUE(halves);
  int64_t mid = q::kGitHubEpochS + (now - q::kGitHubEpochS) / 2;
  EXPECT_EQ(halves->first, (q::Range{q::kOpenLow, mid}));  // open ends stay open
  EXPECT_EQ(halves->second, (q::Range{mid + 1, q::kOpenHigh}));
  EXPECT_TRUE(q::halve({10, 11}, now));
  EXPECT_FALSE(q::halve({10, 10}, now));
}

TEST(PullSearchQuery, TimesParseAndPrint) {
  bool date_only = false;
  EXPECT_EQ(q::parse_time("2020-01-01", &date_only), 1'577'836'800);
  EXPECT_TRUE(date_only);
  EXPECT_EQ(q::parse_time("2020-01-01T01:02:03Z", &date_only), 1'577'840'523);
  EXPECT_FALSE(date_only);
  EXPECT_EQ(q::parse_time("2020-01-01T01:02:03.250+01:00"), 1'577'836'923);
  EXPECT_EQ(q::parse_time("2020-01-01T01:02:03"), 1'577'840'523);
  EXPECT_FALSE(q::parse_time("yesterday"));
  EXPECT_FALSE(q::parse_time("2020-02-30"));
  EXPECT_FALSE(q::parse_time("2020-01-01T25:00:00Z"));
  EXPECT_EQ(q::iso8601(1'577'840'523), "2020-01-01T01:02:03Z");
  EXPECT_EQ(q::url_encode("a b:c/\"d\"+é"), "a%20b%3Ac%2F%22d%22%2B%C3%A9");
}

TEST(PullSearchQuery, RestItemsThatAreNotPullRequestsAreSkipped) {
  auto a = q::parse_rest(R"({"total_count": 3, "incomplete_results": false, "items": [
      {"number": 1, "title": "an issue", "repository_url": "https://api.github.com/repos/o/r",
       "state": "open"},
      {"number": 2, "title": "merged", "repository_url": "https://api.github.com/repos/o/r",
       "html_url": "https://github.com/o/r/pull/2", "state": "closed", "draft": false,
       "user": {"login": "u"}, "labels": [{"name": "x"}], "created_at": "2020-01-01T00:00:00Z",
       "updated_at": "2020-01-02T00:00:00Z",
       "pull_request": {"merged_at": "2020-01-02T00:00:00Z"}},
      {"number": 3, "title": "closed", "html_url": "https://github.com/O/R/pull/3",
       "state": "closed", "pull_request": {"merged_at": null}}]})",
                         1);
  ASSERT_TRUE(a.malformed.empty()) << a.malformed;
  ASSERT_EQ(a.page.pulls.size(), 2u);
  EXPECT_EQ(a.page.pulls[0].number, 2);
  EXPECT_EQ(a.page.pulls[0].state, "merged");
  EXPECT_EQ(a.page.pulls[0].repo, "o/r");
  EXPECT_EQ(a.page.pulls[0].author, "u");
  EXPECT_EQ(a.page.pulls[0].labels, std::vector<std::string>{"x"});
  EXPECT_EQ(a.page.pulls[1].state, "closed");
  EXPECT_EQ(a.page.pulls[1].repo, "O/R");  // from the html url when repository_url is missing
  EXPECT_FALSE(a.page.has_next);
  EXPECT_FALSE(q::parse_rest(R"({"items": []})", 1).malformed.empty());
}

TEST(PullSearchQuery, GraphqlErrorsAreRefusalsOnlyWhenTheSearchRan) {
  using Kind = q::GraphqlAnswer::Kind;
  EXPECT_EQ(q::parse_graphql(R"({"errors": [{"message": "Field 'search' doesn't exist"}]})").kind,
            Kind::unavailable);
  auto refused = q::parse_graphql(
      R"({"data": {"search": null}, "errors": [{"type": "INVALID_SEARCH", "path": ["search"],
          "message": "The date is not valid."}]})");
  EXPECT_EQ(refused.kind, Kind::refused);
  EXPECT_EQ(refused.message, "The date is not valid.");
  EXPECT_EQ(
      q::parse_graphql(R"({"data": null, "errors": [{"message": "Invalid search query"}]})").kind,
      Kind::refused);
  EXPECT_EQ(q::parse_graphql(R"({"errors": [{"type": "RATE_LIMITED", "message": "x"}]})").kind,
            Kind::rate_limited);
  EXPECT_EQ(q::parse_graphql("{").kind, Kind::malformed);
  auto issue = q::parse_graphql(
      R"({"data": {"search": {"issueCount": 2, "pageInfo": {"hasNextPage": false,
          "endCursor": "Y3Vyc29yOjI="}, "nodes": [{}, {"__typename": "Issue"}, null]},
          "rateLimit": {"remaining": 0, "resetAt": "2030-01-01T00:00:00Z"}}})");
  EXPECT_EQ(issue.kind, Kind::ok);
  EXPECT_TRUE(issue.page.pulls.empty());
  EXPECT_EQ(issue.page.rate_remaining, 0);
}
