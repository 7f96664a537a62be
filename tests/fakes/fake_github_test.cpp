// The fake GitHub checked over loopback with libcurl: payload shapes against the official
// examples, pagination, ETags, rate-limit headers, every fault mode, GraphQL aliases, counting,
// keep-alive and concurrency.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <thread>

#include "curl_client.hpp"
#include "fake_github.hpp"

namespace gkfake {
namespace {
namespace json = boost::json;
using testing::fetch;
using testing::post;
using testing::Reply;
using testing::Request;

json::value fixture(const std::string &name) {
  std::ifstream in(std::string(GK_FIXTURES_DIR) + "/github/rest/" + name + ".json");
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

std::set<std::string> keys(const json::value &v) {
  std::set<std::string> out;
  for (const auto &kv : v.as_object()) out.insert(std::string(kv.key()));
  return out;
}

int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

PullState green_pull() {
  PullState s;
  s.head_sha = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  s.checks = {{"build", "completed", "success", ""}, {"lint", "in_progress", "", ""}};
  s.statuses = {{"ci/jenkins", "success", "https://ci.example.com/1"}};
  s.reviews = {{"alice", "COMMENTED", "looks fine"}, {"bob", "APPROVED", "ship it"}};
  s.review_decision = "APPROVED";
  return s;
}

class FakeGitHubTest : public ::testing::Test {
 protected:
  void SetUp() override { fake.set_pull("acme/web", 7, green_pull()); }

  std::string api(const std::string &path) const { return fake.api_url() + path; }
  std::string commit(const std::string &what) const {
    return api("/repos/acme/web/commits/" + green_pull().head_sha + "/" + what);
  }
  Reply graphql(const std::string &query, const json::object &variables = {}) {
    return fetch(fake.graphql_url(),
                 post(json::serialize(json::object{{"query", query}, {"variables", variables}})));
  }

  FakeGitHub fake;
};

// --- shapes ---------------------------------------------------------------------------------

TEST_F(FakeGitHubTest, PullHasTheExampleShapeWithScriptedFields) {
  const Reply r = fetch(api("/repos/acme/web/pulls/7"));
  ASSERT_EQ(r.code, CURLE_OK);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "application/json; charset=utf-8");
  const json::value pull = json::parse(r.body);
  EXPECT_EQ(keys(pull), keys(fixture("pull")));
  EXPECT_EQ(keys(pull.at("head")), keys(fixture("pull").at("head")));
  EXPECT_EQ(pull.at("number").as_int64(), 7);
  EXPECT_EQ(pull.at("head").at("sha").as_string(), green_pull().head_sha);
  EXPECT_EQ(pull.at("html_url").as_string(), "https://github.com/acme/web/pull/7");
  EXPECT_EQ(pull.at("url").as_string(), api("/repos/acme/web/pulls/7"));
}

TEST_F(FakeGitHubTest, CheckRunsHaveTheExampleShapeWithScriptedFields) {
  const Reply r = fetch(commit("check-runs"));
  ASSERT_EQ(r.status, 200);
  const json::value body = json::parse(r.body);
  const json::value example = fixture("check_runs");
  EXPECT_EQ(keys(body), keys(example));
  EXPECT_EQ(body.at("total_count").as_int64(), 2);
  const json::array &runs = body.at("check_runs").as_array();
  ASSERT_EQ(runs.size(), 2u);
  for (const auto &run : runs) {
    EXPECT_EQ(keys(run), keys(example.at("check_runs").at(0)));
    EXPECT_EQ(run.at("head_sha").as_string(), green_pull().head_sha);
    EXPECT_TRUE(run.at("id").is_int64());
    EXPECT_TRUE(run.at("html_url").as_string().starts_with("https://github.com/acme/web/runs/"));
  }
  EXPECT_EQ(runs[0].at("name").as_string(), "build");
  EXPECT_EQ(runs[0].at("status").as_string(), "completed");
  EXPECT_EQ(runs[0].at("conclusion").as_string(), "success");
  EXPECT_EQ(runs[0].at("details_url").as_string(), "https://ci.example.com/acme/web/build");
  EXPECT_EQ(runs[1].at("status").as_string(), "in_progress");
  EXPECT_TRUE(runs[1].at("conclusion").is_null());
  EXPECT_TRUE(runs[1].at("completed_at").is_null());
  EXPECT_NE(runs[0].at("id"), runs[1].at("id"));
  EXPECT_EQ(runs[0].at("pull_requests").at(0).at("number").as_int64(), 7);
}

TEST_F(FakeGitHubTest, CombinedStatusIsComputedAsGitHubDoes) {
  const json::value example = fixture("combined_status");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{}, "pending"},
      {{"success"}, "success"},
      {{"success", "pending"}, "pending"},
      {{"success", "failure"}, "failure"},
      {{"pending", "error"}, "failure"},
      {{"success", "success"}, "success"},
  };
  for (const auto &[states, expected] : cases) {
    PullState s = green_pull();
    s.statuses.clear();
    for (std::size_t i = 0; i < states.size(); ++i) {
      s.statuses.push_back({"ctx" + std::to_string(i), states[i], ""});
    }
    fake.set_pull("acme/web", 7, s);
    const Reply r = fetch(commit("status"));
    ASSERT_EQ(r.status, 200);
    const json::value body = json::parse(r.body);
    EXPECT_EQ(keys(body), keys(example));
    EXPECT_EQ(body.at("state").as_string(), expected) << states.size();
    EXPECT_EQ(body.at("total_count").as_int64(), static_cast<int64_t>(states.size()));
    EXPECT_EQ(body.at("sha").as_string(), s.head_sha);
    for (const auto &st : body.at("statuses").as_array()) {
      EXPECT_EQ(keys(st), keys(example.at("statuses").at(0)));
      EXPECT_TRUE(st.at("target_url").is_null());
    }
  }
}

TEST_F(FakeGitHubTest, ReviewsHaveTheExampleShapeInOrder) {
  const Reply r = fetch(api("/repos/acme/web/pulls/7/reviews"));
  ASSERT_EQ(r.status, 200);
  const json::array reviews = json::parse(r.body).as_array();
  ASSERT_EQ(reviews.size(), 2u);
  for (const auto &review : reviews) {
    EXPECT_EQ(keys(review), keys(fixture("reviews").at(0)));
    EXPECT_EQ(review.at("commit_id").as_string(), green_pull().head_sha);
  }
  EXPECT_EQ(reviews[0].at("user").at("login").as_string(), "alice");
  EXPECT_EQ(reviews[0].at("state").as_string(), "COMMENTED");
  EXPECT_EQ(reviews[1].at("user").at("login").as_string(), "bob");
  EXPECT_EQ(reviews[1].at("body").as_string(), "ship it");
  EXPECT_LT(reviews[0].at("id").as_int64(), reviews[1].at("id").as_int64());
  EXPECT_LT(reviews[0].at("submitted_at").as_string(), reviews[1].at("submitted_at").as_string());
}

TEST_F(FakeGitHubTest, AnOldHeadCommitKeepsItsChecks) {
  PullState pushed = green_pull();
  pushed.head_sha = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
  pushed.checks = {{"build", "queued", "", ""}};
  fake.set_pull("acme/web", 7, pushed);
  EXPECT_EQ(json::parse(fetch(commit("check-runs")).body).at("total_count").as_int64(), 2);
  const Reply fresh = fetch(api("/repos/acme/web/commits/" + pushed.head_sha + "/check-runs"));
  EXPECT_EQ(json::parse(fresh.body).at("total_count").as_int64(), 1);
  EXPECT_EQ(fake.pull("ACME/Web", 7).head_sha, pushed.head_sha);
}

// --- pagination and filters -------------------------------------------------------------------

TEST_F(FakeGitHubTest, CheckRunsPaginateWithLinkHeaders) {
  PullState s = green_pull();
  s.checks.clear();
  for (int i = 0; i < 250; ++i)
    s.checks.push_back({"check-" + std::to_string(i), "completed", "success", ""});
  fake.set_pull("acme/web", 7, s);

  const std::string base = commit("check-runs");
  const Reply first = fetch(base + "?per_page=100");
  ASSERT_EQ(first.status, 200);
  json::value body = json::parse(first.body);
  EXPECT_EQ(body.at("total_count").as_int64(), 250);
  EXPECT_EQ(body.at("check_runs").as_array().size(), 100u);
  EXPECT_EQ(first.header("link"), "<" + base + "?per_page=100&page=2>; rel=\"next\", <" + base +
                                      "?per_page=100&page=3>; rel=\"last\"");

  const Reply last = fetch(base + "?per_page=100&page=3");
  body = json::parse(last.body);
  EXPECT_EQ(body.at("check_runs").as_array().size(), 50u);
  EXPECT_EQ(body.at("check_runs").at(0).at("name").as_string(), "check-200");
  EXPECT_EQ(last.header("link"), "<" + base + "?per_page=100&page=2>; rel=\"prev\", <" + base +
                                     "?per_page=100&page=1>; rel=\"first\"");

  const Reply middle = fetch(base + "?page=2&per_page=100");
  EXPECT_NE(middle.header("link").find("rel=\"prev\""), std::string::npos);
  EXPECT_NE(middle.header("link").find("per_page=100&page=3>; rel=\"next\""), std::string::npos);

  // Default 30 per page, at most 100.
  EXPECT_EQ(json::parse(fetch(base).body).at("check_runs").as_array().size(), 30u);
  EXPECT_NE(fetch(base).header("link").find("page=9>; rel=\"last\""), std::string::npos);
  EXPECT_EQ(json::parse(fetch(base + "?per_page=500").body).at("check_runs").as_array().size(),
            100u);
}

TEST_F(FakeGitHubTest, OnePageHasNoLinkHeader) {
  const Reply r = fetch(commit("check-runs"));
  EXPECT_EQ(r.header("link"), "");
}

TEST_F(FakeGitHubTest, ReviewsPaginate) {
  PullState s = green_pull();
  s.reviews.clear();
  for (int i = 0; i < 45; ++i) s.reviews.push_back({"user" + std::to_string(i), "COMMENTED", ""});
  fake.set_pull("acme/web", 7, s);
  const std::string base = api("/repos/acme/web/pulls/7/reviews");
  const Reply first = fetch(base);
  EXPECT_EQ(json::parse(first.body).as_array().size(), 30u);
  EXPECT_EQ(first.header("link"),
            "<" + base + "?page=2>; rel=\"next\", <" + base + "?page=2>; rel=\"last\"");
  const json::array second = json::parse(fetch(base + "?page=2").body).as_array();
  ASSERT_EQ(second.size(), 15u);
  EXPECT_EQ(second[0].at("user").at("login").as_string(), "user30");
}

TEST_F(FakeGitHubTest, CheckNameFiltersCheckRuns) {
  const json::value body = json::parse(fetch(commit("check-runs?check_name=lint")).body);
  EXPECT_EQ(body.at("total_count").as_int64(), 1);
  EXPECT_EQ(body.at("check_runs").at(0).at("name").as_string(), "lint");
}

TEST_F(FakeGitHubTest, UnknownThingsAreNotFound) {
  const std::string not_found =
      R"({"message":"Not Found","documentation_url":"https://docs.github.com/rest"})";
  for (const std::string path :
       {"/repos/acme/nope/pulls/7", "/repos/acme/web/pulls/8", "/repos/acme/web/pulls/8/reviews",
        "/repos/acme/web/issues", "/repos/other/repo/commits/abc/status"}) {
    const Reply r = fetch(api(path));
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.body, not_found) << path;
  }
  const Reply r = fetch(api("/repos/acme/web/commits/0123/check-runs"));
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(json::parse(r.body).at("message").as_string(), "No commit found for SHA: 0123");
}

// --- conditional requests and rate limits -----------------------------------------------------

TEST_F(FakeGitHubTest, MatchingEtagGets304AndIsNotCounted) {
  const Reply first = fetch(api("/repos/acme/web/pulls/7"));
  const std::string etag = first.header("etag");
  ASSERT_TRUE(etag.starts_with("W/\"")) << etag;
  EXPECT_EQ(first.header("x-ratelimit-remaining"), "4999");

  Request conditional;
  conditional.headers = {"If-None-Match: " + etag};
  const Reply second = fetch(api("/repos/acme/web/pulls/7"), conditional);
  EXPECT_EQ(second.status, 304);
  EXPECT_EQ(second.body, "");
  EXPECT_EQ(second.header("etag"), etag);
  EXPECT_EQ(second.header("x-ratelimit-remaining"), "4999");
  EXPECT_EQ(fake.requests(), 2);
  EXPECT_EQ(fake.counted_requests(), 1);

  PullState changed = green_pull();
  changed.head_sha = "cccccccccccccccccccccccccccccccccccccccc";
  fake.set_pull("acme/web", 7, changed);
  const Reply third = fetch(api("/repos/acme/web/pulls/7"), conditional);
  EXPECT_EQ(third.status, 200);
  EXPECT_NE(third.header("etag"), etag);
  EXPECT_EQ(fake.counted_requests(), 2);
}

TEST_F(FakeGitHubTest, RateLimitHeadersCountDownPerResource) {
  const int64_t reset = now_s() + 120;
  fake.set_rate_limit(2, reset);
  const Reply a = fetch(api("/repos/acme/web/pulls/7"));
  EXPECT_EQ(a.header("x-ratelimit-limit"), "5000");
  EXPECT_EQ(a.header("x-ratelimit-remaining"), "1");
  EXPECT_EQ(a.header("x-ratelimit-used"), "4999");
  EXPECT_EQ(a.header("x-ratelimit-reset"), std::to_string(reset));
  EXPECT_EQ(a.header("x-ratelimit-resource"), "core");
  const Reply g = graphql("query { rateLimit { remaining } }");
  EXPECT_EQ(g.header("x-ratelimit-resource"), "graphql");
  EXPECT_EQ(g.header("x-ratelimit-remaining"), "1");
  EXPECT_EQ(json::parse(g.body).at("data").at("rateLimit").at("remaining").as_int64(), 1);
  EXPECT_EQ(fetch(api("/repos/acme/web/pulls/7")).header("x-ratelimit-remaining"), "0");
  // Exhausted: GitHub's 403 until the reset.
  const Reply over = fetch(api("/repos/acme/web/pulls/7"));
  EXPECT_EQ(over.status, 403);
  EXPECT_EQ(over.header("x-ratelimit-remaining"), "0");
  EXPECT_NE(json::parse(over.body).at("message").as_string().find("rate limit exceeded"),
            std::string::npos);
}

// --- faults -----------------------------------------------------------------------------------

TEST_F(FakeGitHubTest, ServerErrorIs502Html) {
  fake.set_fault(Fault::server_error, 1);
  const Reply r = fetch(api("/repos/acme/web/pulls/7"));
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(r.header("content-type"), "text/html");
  EXPECT_EQ(fetch(api("/repos/acme/web/pulls/7")).status, 200);  // `times` used up
}

TEST_F(FakeGitHubTest, RateLimitedIs403WithResetAndZeroRemaining) {
  const int64_t reset = now_s() + 30;
  fake.set_rate_limit(4000, reset);
  fake.set_fault(Fault::rate_limited, 1);
  const Reply r = fetch(api("/repos/acme/web/pulls/7"));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.header("x-ratelimit-remaining"), "0");
  EXPECT_EQ(r.header("x-ratelimit-reset"), std::to_string(reset));
  EXPECT_TRUE(json::parse(r.body).as_object().contains("documentation_url"));
}

TEST_F(FakeGitHubTest, TooManyIs429WithRetryAfter) {
  fake.set_fault(Fault::too_many);
  const Reply r = fetch(api("/repos/acme/web/pulls/7"));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.header("retry-after"), "1");
  EXPECT_NE(json::parse(r.body).at("message").as_string().find("secondary rate limit"),
            std::string::npos);
}

TEST_F(FakeGitHubTest, BadJsonIs200WithABodyThatDoesNotParse) {
  fake.set_fault(Fault::bad_json);
  const Reply r = fetch(commit("check-runs"));
  EXPECT_EQ(r.status, 200);
  boost::system::error_code ec;
  json::parse(r.body, ec);
  EXPECT_TRUE(ec);
}

TEST_F(FakeGitHubTest, TruncatedJsonClosesTheConnectionHalfway) {
  fake.set_fault(Fault::truncated_json, 1);
  const Reply r = fetch(commit("check-runs"));
  EXPECT_EQ(r.code, CURLE_PARTIAL_FILE);
  EXPECT_EQ(r.status, 200);
  const std::string full = fetch(commit("check-runs")).body;
  EXPECT_EQ(r.header("content-length"), std::to_string(full.size()));
  EXPECT_EQ(r.body, full.substr(0, full.size() / 2));
}

TEST_F(FakeGitHubTest, TruncatedGraphqlToo) {
  fake.set_fault(Fault::truncated_json, 1, "/api/graphql");
  const Reply r = graphql(
      R"(query { a: repository(owner:"acme", name:"web") { pullRequest(number: 7) { headRefOid } } })");
  EXPECT_EQ(r.code, CURLE_PARTIAL_FILE);
}

TEST_F(FakeGitHubTest, UnauthorizedAndForbiddenCarryNoRateLimitHeaders) {
  fake.set_fault(Fault::unauthorized, 1);
  fake.set_fault(Fault::forbidden, 1);
  fake.set_fault(Fault::not_found, 1);
  const Reply unauthorized = fetch(api("/repos/acme/web/pulls/7"));
  EXPECT_EQ(unauthorized.status, 401);
  EXPECT_EQ(json::parse(unauthorized.body).at("message").as_string(), "Bad credentials");
  EXPECT_EQ(unauthorized.header("x-ratelimit-remaining"), "");
  const Reply forbidden = fetch(api("/repos/acme/web/pulls/7"));
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_EQ(forbidden.header("x-ratelimit-remaining"), "");
  const Reply not_found = fetch(api("/repos/acme/web/pulls/7"));
  EXPECT_EQ(not_found.status, 404);
  EXPECT_EQ(json::parse(not_found.body).at("message").as_string(), "Not Found");
  EXPECT_EQ(fetch(api("/repos/acme/web/pulls/7")).status, 200);
}

TEST_F(FakeGitHubTest, FaultsMatchByPathPrefixAndClear) {
  fake.set_fault(Fault::server_error, -1, "/api/graphql");
  EXPECT_EQ(fetch(api("/repos/acme/web/pulls/7")).status, 200);
  EXPECT_EQ(graphql("query { rateLimit { cost } }").status, 502);
  EXPECT_EQ(graphql("query { rateLimit { cost } }").status, 502);
  fake.clear_faults();
  EXPECT_EQ(graphql("query { rateLimit { cost } }").status, 200);
}

TEST_F(FakeGitHubTest, HangNeverAnswersAndDoesNotBlockOthers) {
  fake.set_fault(Fault::hang, 1, "/api/v3/repos/acme/web/pulls");
  Request quick;
  quick.timeout_ms = 300;
  auto hung =
      std::async(std::launch::async, [&] { return fetch(api("/repos/acme/web/pulls/7"), quick); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const Reply other = fetch(commit("status"));  // served while the other hangs
  EXPECT_EQ(other.status, 200);
  const Reply r = hung.get();
  EXPECT_EQ(r.code, CURLE_OPERATION_TIMEDOUT);
  EXPECT_EQ(r.status, 0);
}

TEST(FakeGitHubLifetime, StopsWhileAClientHangs) {
  Reply r;
  std::thread client;
  const auto start = std::chrono::steady_clock::now();
  {
    FakeGitHub fake;
    fake.set_pull("acme/web", 7, green_pull());
    fake.set_fault(Fault::hang);
    Request slow;
    slow.timeout_ms = 8000;
    const std::string url = fake.api_url() + "/repos/acme/web/pulls/7";
    client = std::thread([&r, url, slow] { r = fetch(url, slow); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (fake.requests() == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(fake.requests(), 1);
  }  // the destructor closes the hanging socket and joins
  client.join();
  EXPECT_NE(r.code, CURLE_OK);
  EXPECT_NE(r.code, CURLE_OPERATION_TIMEDOUT);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// --- GraphQL ----------------------------------------------------------------------------------

std::string pr_selection() {
  return R"({ pullRequest(number: NUMBER) { headRefOid reviewDecision commits(last: 1) { nodes { commit { oid statusCheckRollup { state contexts(first: 100) { pageInfo { hasNextPage endCursor } nodes { __typename ... on CheckRun { name status conclusion detailsUrl } ... on StatusContext { context state targetUrl } } } } } } } } })";
}

std::string alias(const std::string &name, const std::string &owner, const std::string &repo,
                  int number) {
  std::string sel = pr_selection();
  sel.replace(sel.find("NUMBER"), 6, std::to_string(number));
  return name + ": repository(owner: \"" + owner + "\", name: \"" + repo + "\") " + sel + "\n";
}

TEST_F(FakeGitHubTest, GraphqlAnswersEachAliasIncludingUnknownOnes) {
  PullState red;
  red.head_sha = "dddddddddddddddddddddddddddddddddddddddd";
  red.checks = {{"build", "completed", "failure", "https://ci/x"}};
  fake.set_pull("acme/api", 3, red);
  const std::string query = "query {\n" + alias("pr0", "acme", "web", 7) +
                            alias("pr1", "acme", "api", 3) + alias("pr2", "acme", "web", 99) +
                            alias("pr3", "ghost", "repo", 1) + "}";
  const Reply r = graphql(query);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("etag"), "");
  const json::value body = json::parse(r.body);
  const json::value &data = body.at("data");

  const json::value &pr0 = data.at("pr0").at("pullRequest");
  EXPECT_EQ(pr0.at("headRefOid").as_string(), green_pull().head_sha);
  EXPECT_EQ(pr0.at("reviewDecision").as_string(), "APPROVED");
  const json::value &commit0 = pr0.at("commits").at("nodes").at(0).at("commit");
  EXPECT_EQ(commit0.at("oid").as_string(), green_pull().head_sha);
  const json::value &rollup0 = commit0.at("statusCheckRollup");
  EXPECT_EQ(rollup0.at("state").as_string(), "PENDING");
  const json::array &nodes = rollup0.at("contexts").at("nodes").as_array();
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(nodes[0].at("__typename").as_string(), "CheckRun");
  EXPECT_EQ(nodes[0].at("status").as_string(), "COMPLETED");
  EXPECT_EQ(nodes[0].at("conclusion").as_string(), "SUCCESS");
  EXPECT_EQ(nodes[1].at("status").as_string(), "IN_PROGRESS");
  EXPECT_TRUE(nodes[1].at("conclusion").is_null());
  EXPECT_EQ(nodes[2].at("__typename").as_string(), "StatusContext");
  EXPECT_EQ(nodes[2].at("context").as_string(), "ci/jenkins");
  EXPECT_EQ(nodes[2].at("state").as_string(), "SUCCESS");
  EXPECT_EQ(nodes[2].at("targetUrl").as_string(), "https://ci.example.com/1");
  EXPECT_FALSE(rollup0.at("contexts").at("pageInfo").at("hasNextPage").as_bool());

  const json::value &pr1 = data.at("pr1").at("pullRequest");
  EXPECT_TRUE(pr1.at("reviewDecision").is_null());
  const json::value &rollup1 =
      pr1.at("commits").at("nodes").at(0).at("commit").at("statusCheckRollup");
  EXPECT_EQ(rollup1.at("state").as_string(), "FAILURE");
  EXPECT_EQ(rollup1.at("contexts").at("nodes").at(0).at("detailsUrl").as_string(), "https://ci/x");

  EXPECT_TRUE(data.at("pr2").at("pullRequest").is_null());
  EXPECT_TRUE(data.at("pr3").is_null());
  const json::array &errors = body.at("errors").as_array();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].at("type").as_string(), "NOT_FOUND");
  EXPECT_EQ(errors[0].at("path"), (json::array{"pr2", "pullRequest"}));
  EXPECT_EQ(errors[1].at("path"), (json::array{"pr3"}));
  EXPECT_EQ(fake.requests("/api/graphql"), 1);
}

TEST_F(FakeGitHubTest, GraphqlVariablesAndContextPages) {
  PullState many;
  many.head_sha = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
  for (int i = 0; i < 150; ++i)
    many.checks.push_back({"c" + std::to_string(i), "completed", "success", ""});
  fake.set_pull("acme/web", 8, many);
  const std::string query =
      R"(query($o: String!, $r: String!, $n: Int!, $after: String) {
           x: repository(owner: $o, name: $r) { pullRequest(number: $n) { headRefOid
             commits(last: 1) { nodes { commit { statusCheckRollup { state
               contexts(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { __typename } } } } } }
             latestReviews(last: 100) { nodes { author { login } state } } } } })";
  json::object vars{{"o", "acme"}, {"r", "web"}, {"n", 8}, {"after", nullptr}};
  json::value page1 = json::parse(graphql(query, vars).body);
  const json::value &contexts1 = page1.at("data")
                                     .at("x")
                                     .at("pullRequest")
                                     .at("commits")
                                     .at("nodes")
                                     .at(0)
                                     .at("commit")
                                     .at("statusCheckRollup")
                                     .at("contexts");
  EXPECT_EQ(contexts1.at("nodes").as_array().size(), 100u);
  EXPECT_TRUE(contexts1.at("pageInfo").at("hasNextPage").as_bool());
  vars["after"] = contexts1.at("pageInfo").at("endCursor");
  const json::value page2 = json::parse(graphql(query, vars).body);
  const json::value &contexts2 = page2.at("data")
                                     .at("x")
                                     .at("pullRequest")
                                     .at("commits")
                                     .at("nodes")
                                     .at(0)
                                     .at("commit")
                                     .at("statusCheckRollup")
                                     .at("contexts");
  EXPECT_EQ(contexts2.at("nodes").as_array().size(), 50u);
  EXPECT_FALSE(contexts2.at("pageInfo").at("hasNextPage").as_bool());
  EXPECT_TRUE(page2.at("data")
                  .at("x")
                  .at("pullRequest")
                  .at("latestReviews")
                  .at("nodes")
                  .as_array()
                  .empty());
}

TEST_F(FakeGitHubTest, GraphqlLatestReviewsAndEmptyRollup) {
  PullState s;
  s.reviews = {{"alice", "CHANGES_REQUESTED", "no"},
               {"bob", "COMMENTED", ""},
               {"alice", "APPROVED", "ok now"},
               {"carol", "PENDING", ""}};
  fake.set_pull("acme/web", 9, s);
  const Reply r = graphql(
      R"({ repository(owner: "acme", name: "web") { pullRequest(number: 9) { reviewDecision latestReviews(last: 100) { nodes { author { login } state body } } } } })");
  const json::value pr = json::parse(r.body).at("data").at("repository").at("pullRequest");
  EXPECT_TRUE(pr.at("commits").at("nodes").at(0).at("commit").at("statusCheckRollup").is_null());
  const json::array &latest = pr.at("latestReviews").at("nodes").as_array();
  ASSERT_EQ(latest.size(), 2u);
  EXPECT_EQ(latest[0].at("author").at("login").as_string(), "bob");
  EXPECT_EQ(latest[1].at("author").at("login").as_string(), "alice");
  EXPECT_EQ(latest[1].at("state").as_string(), "APPROVED");
}

TEST_F(FakeGitHubTest, GraphqlRollupStates) {
  const std::vector<std::tuple<std::vector<CheckRun>, std::vector<StatusContext>, std::string>>
      cases = {
          {{{"a", "completed", "success", ""}}, {}, "SUCCESS"},
          {{{"a", "completed", "neutral", ""}, {"b", "completed", "skipped", ""}}, {}, "SUCCESS"},
          {{{"a", "completed", "timed_out", ""}}, {}, "FAILURE"},
          {{{"a", "queued", "", ""}}, {}, "PENDING"},
          {{}, {{"s", "error", ""}}, "ERROR"},
          {{{"a", "completed", "success", ""}}, {{"s", "pending", ""}}, "PENDING"},
          {{{"a", "completed", "success", ""}}, {{"s", "failure", ""}}, "FAILURE"},
      };
  for (const auto &[checks, statuses, expected] : cases) {
    PullState s;
    s.checks = checks;
    s.statuses = statuses;
    fake.set_pull("acme/web", 10, s);
    const json::value body = json::parse(graphql(alias("q", "acme", "web", 10)).body);
    EXPECT_EQ(body.at("data")
                  .at("q")
                  .at("pullRequest")
                  .at("commits")
                  .at("nodes")
                  .at(0)
                  .at("commit")
                  .at("statusCheckRollup")
                  .at("state")
                  .as_string(),
              expected);
  }
}

TEST_F(FakeGitHubTest, GraphqlOffAnswers404AndBadBodies400) {
  EXPECT_EQ(fetch(fake.graphql_url(), post("{not json")).status, 400);
  fake.set_graphql_enabled(false);
  EXPECT_EQ(graphql("query { rateLimit { cost } }").status, 404);
  fake.set_graphql_enabled(true);
  EXPECT_EQ(graphql("query { rateLimit { cost } }").status, 200);
}

// --- counting, keep-alive, concurrency ------------------------------------------------------

TEST_F(FakeGitHubTest, CountsLogsAndRemembersTheAuthorization) {
  Request authed;
  authed.headers = {"Authorization: Bearer t0ken"};
  fetch(api("/repos/acme/web/pulls/7?x=1"), authed);
  fetch(commit("status"));
  graphql("query { rateLimit { cost } }");
  EXPECT_EQ(fake.requests(), 3);
  EXPECT_EQ(fake.requests("/api/v3"), 2);
  EXPECT_EQ(fake.requests("/api/v3/repos/acme/web/pulls"), 1);
  EXPECT_EQ(fake.counted_requests(), 3);
  const auto log = fake.request_log();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0], "GET /api/v3/repos/acme/web/pulls/7?x=1");
  EXPECT_EQ(log[2], "POST /api/graphql");
  EXPECT_EQ(fake.last_authorization(), "");
  fetch(api("/repos/acme/web/pulls/7"), authed);
  EXPECT_EQ(fake.last_authorization(), "Bearer t0ken");
  fake.reset_counts();
  EXPECT_EQ(fake.requests(), 0);
  EXPECT_EQ(fake.counted_requests(), 0);
}

TEST_F(FakeGitHubTest, KeepAliveReusesTheConnection) {
  CURL *easy = curl_easy_init();
  const Reply a = testing::perform(easy, api("/repos/acme/web/pulls/7"));
  const Reply b = testing::perform(easy, commit("check-runs"));
  const Reply c = testing::perform(easy, fake.graphql_url(),
                                   post(R"({"query": "query { rateLimit { cost } }"})"));
  curl_easy_cleanup(easy);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.connects, 1);
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(b.connects, 0);
  EXPECT_EQ(c.status, 200);
  EXPECT_EQ(c.connects, 0);
}

TEST_F(FakeGitHubTest, ServesManyParallelRequestsOnAMultiHandle) {
  constexpr int kParallel = 64;
  CURLM *multi = curl_multi_init();
  std::vector<CURL *> easies;
  std::vector<Reply> replies(kParallel);
  std::vector<curl_slist *> lists(kParallel, nullptr);
  for (int i = 0; i < kParallel; ++i) {
    CURL *easy = curl_easy_init();
    testing::prepare(easy, i % 2 ? commit("check-runs") : api("/repos/acme/web/pulls/7"), {},
                     replies[i], lists[i]);
    curl_multi_add_handle(multi, easy);
    easies.push_back(easy);
  }
  int running = 1;
  while (running) {
    curl_multi_perform(multi, &running);
    if (running) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  }
  int ok = 0;
  for (int i = 0; i < kParallel; ++i) {
    testing::finish(easies[i], replies[i]);
    ok += replies[i].status == 200;
    curl_multi_remove_handle(multi, easies[i]);
    curl_easy_cleanup(easies[i]);
    curl_slist_free_all(lists[i]);
  }
  curl_multi_cleanup(multi);
  EXPECT_EQ(ok, kParallel);
  EXPECT_EQ(fake.counted_requests(), kParallel);
}

TEST_F(FakeGitHubTest, FiftyAliasesWithExpectContinueAreAnsweredAtOnce) {
  std::string query = "query {\n";
  for (int i = 0; i < 50; ++i) query += alias("pr" + std::to_string(i), "acme", "web", 7);
  query += "}";
  ASSERT_GT(query.size(), 10000u);
  Request request = post(json::serialize(json::object{{"query", query}}));
  request.headers.push_back("Expect: 100-continue");
  const Reply r = fetch(fake.graphql_url(), request);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body).at("data").as_object().size(), 50u);
  EXPECT_LT(r.seconds, 0.8);  // curl waits 1 s for a 100 Continue that never comes
}

}  // namespace
}  // namespace gkfake
