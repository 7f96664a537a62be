// The fake GitHub's pull request lifecycle over loopback with libcurl: the new pull request
// fields, search (REST and GraphQL) with its qualifiers, paging, 1,000 cap and rate limit,
// mergeability computed late, merges (REST and GraphQL), update-branch, branch deletion, posted
// statuses, review comments and the mutation log.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>

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

Request with_body(std::string method, std::string body) {
  Request r = post(std::move(body));
  r.method = std::move(method);
  return r;
}

const std::string kHead = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

PullState open_pull(const std::string &title, std::vector<std::string> labels,
                    const std::string &created) {
  PullState s;
  s.head_sha = kHead;
  s.title = title;
  s.labels = std::move(labels);
  s.author = "alice";
  s.created_at = created;
  s.updated_at = created;
  s.base_ref = "main";
  s.head_ref = "feature";
  return s;
}

class FakeGitHubPullsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake.set_pull("acme/web", 1, open_pull("Fix the login", {"ready"}, "2024-01-10T10:00:00Z"));
    PullState wip = open_pull("WIP: new parser", {"wip", "ready"}, "2024-02-01T00:00:00Z");
    wip.head_sha = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    wip.draft = true;
    fake.set_pull("acme/web", 2, wip);
    PullState done = open_pull("Old change", {"ready"}, "2023-12-31T23:59:59Z");
    done.head_sha = "cccccccccccccccccccccccccccccccccccccccc";
    done.state = "closed";
    done.merged = true;
    done.merged_at = "2024-01-02T00:00:00Z";
    done.closed_at = done.merged_at;
    fake.set_pull("acme/web", 3, done);
    PullState other = open_pull("Other repo", {"ready"}, "2024-01-15T00:00:00Z");
    other.head_sha = "dddddddddddddddddddddddddddddddddddddddd";
    fake.set_pull("acme/api", 4, other);
  }

  std::string api(const std::string &path) const { return fake.api_url() + path; }
  json::value search(const std::string &q, const std::string &extra = "") {
    char *escaped = curl_easy_escape(nullptr, q.c_str(), static_cast<int>(q.size()));
    const Reply r = fetch(api("/search/issues?q=" + std::string(escaped) + extra));
    curl_free(escaped);
    EXPECT_EQ(r.status, 200) << q << ": " << r.body;
    return json::parse(r.body);
  }
  std::vector<int64_t> numbers(const std::string &q, const std::string &extra = "") {
    std::vector<int64_t> out;
    const json::value body = search(q, extra);
    for (const auto &item : body.at("items").as_array()) {
      out.push_back(item.at("number").as_int64());
    }
    return out;
  }
  Reply graphql(const std::string &query, const json::object &variables = {}) {
    return fetch(fake.graphql_url(),
                 post(json::serialize(json::object{{"query", query}, {"variables", variables}})));
  }
  Reply merge(int number, const json::object &body, const std::string &repo = "acme/web") {
    return fetch(api("/repos/" + repo + "/pulls/" + std::to_string(number) + "/merge"),
                 with_body("PUT", json::serialize(body)));
  }

  FakeGitHub fake;
};

// --- pull request fields ---------------------------------------------------------------------

TEST_F(FakeGitHubPullsTest, PullServesTheScriptedFieldsInTheExampleShape) {
  const Reply r = fetch(api("/repos/acme/web/pulls/2"));
  ASSERT_EQ(r.status, 200);
  const json::value pull = json::parse(r.body);
  EXPECT_EQ(keys(pull), keys(fixture("pull")));
  EXPECT_EQ(pull.at("title").as_string(), "WIP: new parser");
  EXPECT_EQ(pull.at("user").at("login").as_string(), "alice");
  EXPECT_EQ(keys(pull.at("user")), keys(fixture("pull").at("user")));
  ASSERT_EQ(pull.at("labels").as_array().size(), 2u);
  EXPECT_EQ(pull.at("labels").at(0).at("name").as_string(), "wip");
  EXPECT_EQ(keys(pull.at("labels").at(0)), keys(fixture("pull").at("labels").at(0)));
  EXPECT_EQ(pull.at("state").as_string(), "open");
  EXPECT_FALSE(pull.at("merged").as_bool());
  EXPECT_TRUE(pull.at("draft").as_bool());
  EXPECT_EQ(pull.at("created_at").as_string(), "2024-02-01T00:00:00Z");
  EXPECT_TRUE(pull.at("closed_at").is_null());
  EXPECT_TRUE(pull.at("merged_at").is_null());
  EXPECT_EQ(pull.at("base").at("ref").as_string(), "main");
  EXPECT_EQ(pull.at("head").at("ref").as_string(), "feature");
  EXPECT_EQ(pull.at("head").at("sha").as_string(), "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
  EXPECT_TRUE(pull.at("mergeable").as_bool());
  EXPECT_EQ(pull.at("mergeable_state").as_string(), "clean");
  EXPECT_EQ(pull.at("node_id").as_string(), FakeGitHub::pull_node_id("acme/web", 2));
  EXPECT_TRUE(pull.at("node_id").as_string().starts_with("PR_kwDO"));
  EXPECT_EQ(FakeGitHub::pull_node_id("ACME/Web", 2), FakeGitHub::pull_node_id("acme/web", 2));
}

TEST_F(FakeGitHubPullsTest, MergeableIsNullForTheScriptedReadsThenComputed) {
  PullState s = fake.pull("acme/web", 1);
  s.unknown_mergeable_reads = 2;
  s.mergeable_state = "dirty";
  fake.set_pull("acme/web", 1, s);
  for (int i = 0; i < 2; ++i) {
    const json::value pull = json::parse(fetch(api("/repos/acme/web/pulls/1")).body);
    EXPECT_TRUE(pull.at("mergeable").is_null()) << i;
    EXPECT_EQ(pull.at("mergeable_state").as_string(), "unknown") << i;
  }
  const json::value pull = json::parse(fetch(api("/repos/acme/web/pulls/1")).body);
  EXPECT_FALSE(pull.at("mergeable").as_bool());
  EXPECT_EQ(pull.at("mergeable_state").as_string(), "dirty");
  EXPECT_EQ(fake.pull("acme/web", 1).unknown_mergeable_reads, 0);
}

TEST_F(FakeGitHubPullsTest, GraphqlPullRequestServesIdStateAndMergeabilityUnknownFirst) {
  PullState s = fake.pull("acme/web", 1);
  s.unknown_mergeable_reads = 1;
  s.mergeable_state = "behind";
  fake.set_pull("acme/web", 1, s);
  const std::string q =
      R"({ repository(owner: "acme", name: "web") { pullRequest(number: 1) { id state mergeable mergeStateStatus } } })";
  const json::value first =
      json::parse(graphql(q).body).at("data").at("repository").at("pullRequest");
  EXPECT_EQ(first.at("id").as_string(), FakeGitHub::pull_node_id("acme/web", 1));
  EXPECT_EQ(first.at("state").as_string(), "OPEN");
  EXPECT_EQ(first.at("mergeable").as_string(), "UNKNOWN");
  EXPECT_EQ(first.at("mergeStateStatus").as_string(), "UNKNOWN");
  const json::value second =
      json::parse(graphql(q).body).at("data").at("repository").at("pullRequest");
  EXPECT_EQ(second.at("mergeable").as_string(), "MERGEABLE");
  EXPECT_EQ(second.at("mergeStateStatus").as_string(), "BEHIND");
  const json::value merged = json::parse(
      graphql(R"({ repository(owner: "acme", name: "web") { pullRequest(number: 3) { state } } })")
          .body);
  EXPECT_EQ(merged.at("data").at("repository").at("pullRequest").at("state").as_string(), "MERGED");
}

TEST_F(FakeGitHubPullsTest, CheckRunOutputCarriesTitleAndSummaryInRestAndGraphql) {
  PullState s = fake.pull("acme/web", 1);
  s.checks = {{"unit", "completed", "failure", "", "3 tests failed", "see the log"},
              {"lint", "completed", "success", ""}};
  fake.set_pull("acme/web", 1, s);
  const json::value runs =
      json::parse(fetch(api("/repos/acme/web/commits/" + kHead + "/check-runs")).body);
  const json::value &output = runs.at("check_runs").at(0).at("output");
  EXPECT_EQ(keys(output), keys(fixture("check_runs").at("check_runs").at(0).at("output")));
  EXPECT_EQ(output.at("title").as_string(), "3 tests failed");
  EXPECT_EQ(output.at("summary").as_string(), "see the log");
  EXPECT_TRUE(runs.at("check_runs").at(1).at("output").at("title").is_null());
  const json::value g = json::parse(
      graphql(
          R"({ repository(owner: "acme", name: "web") { pullRequest(number: 1) { commits(last: 1) { nodes { commit { statusCheckRollup { contexts(first: 10) { nodes { ... on CheckRun { name title summary } } } } } } } } } })")
          .body);
  const json::value &node = g.at("data")
                                .at("repository")
                                .at("pullRequest")
                                .at("commits")
                                .at("nodes")
                                .at(0)
                                .at("commit")
                                .at("statusCheckRollup")
                                .at("contexts")
                                .at("nodes")
                                .at(0);
  EXPECT_EQ(node.at("title").as_string(), "3 tests failed");
  EXPECT_EQ(node.at("summary").as_string(), "see the log");
}

TEST_F(FakeGitHubPullsTest, ReviewCommentsListPathLineBodyUserAndReviewIdPaginated) {
  PullState s = fake.pull("acme/web", 1);
  s.reviews = {{"bob", "CHANGES_REQUESTED", "see inline"}};
  for (int i = 0; i < 35; ++i) {
    s.comments.push_back({"bob", "src/x" + std::to_string(i) + ".cpp", 10 + i,
                          "nit " + std::to_string(i), i == 0 ? 0 : -1});
  }
  fake.set_pull("acme/web", 1, s);
  const std::string base = api("/repos/acme/web/pulls/1/comments");
  const Reply first = fetch(base);
  ASSERT_EQ(first.status, 200);
  const json::array comments = json::parse(first.body).as_array();
  ASSERT_EQ(comments.size(), 30u);
  EXPECT_EQ(keys(comments[0]), keys(fixture("review_comments").at(0)));
  EXPECT_EQ(comments[0].at("path").as_string(), "src/x0.cpp");
  EXPECT_EQ(comments[0].at("line").as_int64(), 10);
  EXPECT_EQ(comments[0].at("body").as_string(), "nit 0");
  EXPECT_EQ(comments[0].at("user").at("login").as_string(), "bob");
  const json::value reviews = json::parse(fetch(api("/repos/acme/web/pulls/1/reviews")).body);
  EXPECT_EQ(comments[0].at("pull_request_review_id"), reviews.at(0).at("id"));
  EXPECT_TRUE(comments[1].at("pull_request_review_id").is_null());
  EXPECT_EQ(first.header("link"),
            "<" + base + "?page=2>; rel=\"next\", <" + base + "?page=2>; rel=\"last\"");
  EXPECT_EQ(json::parse(fetch(base + "?page=2").body).as_array().size(), 5u);
}

// --- search ----------------------------------------------------------------------------------

TEST_F(FakeGitHubPullsTest, SearchAnswersTheIssueShapeOfEachPullRequest) {
  const Reply r = fetch(api("/search/issues?q=repo:acme/api+is:pr"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("x-ratelimit-resource"), "search");
  EXPECT_EQ(r.header("x-ratelimit-limit"), "30");
  const json::value body = json::parse(r.body);
  EXPECT_EQ(keys(body), keys(fixture("search_issues")));
  EXPECT_EQ(body.at("total_count").as_int64(), 1);
  EXPECT_FALSE(body.at("incomplete_results").as_bool());
  const json::value &item = body.at("items").at(0);
  std::set<std::string> expected = keys(fixture("search_issues").at("items").at(0));
  expected.insert("draft");
  EXPECT_EQ(keys(item), expected);
  EXPECT_EQ(item.at("number").as_int64(), 4);
  EXPECT_EQ(item.at("title").as_string(), "Other repo");
  EXPECT_EQ(item.at("user").at("login").as_string(), "alice");
  EXPECT_EQ(item.at("labels").at(0).at("name").as_string(), "ready");
  EXPECT_EQ(item.at("state").as_string(), "open");
  EXPECT_EQ(item.at("repository_url").as_string(), api("/repos/acme/api"));
  EXPECT_EQ(item.at("created_at").as_string(), "2024-01-15T00:00:00Z");
  EXPECT_EQ(item.at("pull_request").at("url").as_string(), api("/repos/acme/api/pulls/4"));
  EXPECT_TRUE(item.at("pull_request").at("merged_at").is_null());
  EXPECT_EQ(item.at("node_id").as_string(), FakeGitHub::pull_node_id("acme/api", 4));
}

TEST_F(FakeGitHubPullsTest, SearchQualifiersFollowGitHubSemantics) {
  using V = std::vector<int64_t>;
  EXPECT_EQ(numbers("repo:acme/web is:pr"), (V{2, 1, 3}));  // newest created first
  EXPECT_EQ(numbers("repo:acme/web repo:acme/api is:pr"), (V{2, 4, 1, 3}));
  EXPECT_EQ(numbers("repo:ACME/WEB is:pr is:open"), (V{2, 1}));
  EXPECT_EQ(numbers("repo:acme/web is:closed"), (V{3}));
  EXPECT_EQ(numbers("repo:acme/web is:merged"), (V{3}));
  EXPECT_EQ(numbers("repo:acme/web is:issue"), (V{}));
  EXPECT_EQ(numbers("repo:acme/web label:wip"), (V{2}));
  EXPECT_EQ(numbers("repo:acme/web label:ready -label:wip"), (V{1, 3}));
  EXPECT_EQ(numbers("repo:acme/web label:wip,nope"), (V{2}));
  EXPECT_EQ(numbers("repo:acme/web label:ready label:wip"), (V{2}));
  EXPECT_EQ(numbers("repo:acme/web draft:false is:open"), (V{1}));
  EXPECT_EQ(numbers("repo:acme/web created:>=2024-01-10"), (V{2, 1}));
  EXPECT_EQ(numbers("repo:acme/web created:>2024-01-10"), (V{2}));
  EXPECT_EQ(numbers("repo:acme/web created:<2024-01-01"), (V{3}));
  EXPECT_EQ(numbers("repo:acme/web created:<=2024-01-10"), (V{1, 3}));
  EXPECT_EQ(numbers("repo:acme/web created:2024-01-01..2024-01-31"), (V{1}));
  EXPECT_EQ(numbers("repo:acme/web created:2024-01-10"), (V{1}));
  EXPECT_EQ(numbers("repo:acme/web created:>=2024-01-10T10:00:01Z"), (V{2}));
  EXPECT_EQ(numbers("repo:acme/web created:*..2023-12-31"), (V{3}));
  EXPECT_EQ(numbers("repo:acme/web updated:>=2024-01-11"), (V{2}));
  EXPECT_EQ(numbers("repo:acme/web login"), (V{1}));  // free words match the title
  EXPECT_EQ(numbers("repo:acme/web is:pr sort:created-asc"), (V{3, 1, 2}));
  EXPECT_EQ(numbers("repo:acme/web is:pr", "&sort=created&order=asc"), (V{3, 1, 2}));
  EXPECT_EQ(numbers("is:pr author:alice base:main head:feature is:open"), (V{2, 4, 1}));
  EXPECT_EQ(numbers("is:pr author:bob"), (V{}));

  const Reply bad = fetch(api("/search/issues?q=created:%3E%3Dyesterday"));
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(json::parse(bad.body).at("message").as_string(), "Validation Failed");
  const Reply missing = fetch(api("/search/issues"));
  EXPECT_EQ(missing.status, 422);
}

TEST_F(FakeGitHubPullsTest, SearchPagesWithLinkAndCapsAtTheFirstThousand) {
  std::vector<PullEntry> many;
  for (int i = 1; i <= 1050; ++i) {
    PullState s = open_pull("pr " + std::to_string(i), {}, "2024-01-01T00:00:00Z");
    s.head_sha = std::string(40, 'a');
    many.push_back({"big/repo", i, s});
  }
  fake.set_pulls(many);
  fake.set_search_rate_limit(1000, now_s() + 60);
  const std::string base = api("/search/issues");
  const Reply first = fetch(base + "?q=repo:big/repo&per_page=100");
  ASSERT_EQ(first.status, 200);
  const json::value body = json::parse(first.body);
  EXPECT_EQ(body.at("total_count").as_int64(), 1050);
  EXPECT_EQ(body.at("items").as_array().size(), 100u);
  EXPECT_EQ(body.at("items").at(0).at("number").as_int64(), 1050);
  EXPECT_EQ(first.header("link"),
            "<" + base + "?q=repo:big/repo&per_page=100&page=2>; rel=\"next\", <" + base +
                "?q=repo:big/repo&per_page=100&page=10>; rel=\"last\"");
  const Reply tenth = fetch(base + "?q=repo:big/repo&per_page=100&page=10");
  ASSERT_EQ(tenth.status, 200);
  const json::array last_items = json::parse(tenth.body).at("items").as_array();
  ASSERT_EQ(last_items.size(), 100u);
  EXPECT_EQ(last_items.back().at("number").as_int64(), 51);  // the 1,000th result
  EXPECT_EQ(tenth.header("link").find("rel=\"next\""), std::string::npos);
  const Reply beyond = fetch(base + "?q=repo:big/repo&per_page=100&page=11");
  EXPECT_EQ(beyond.status, 422);
  EXPECT_EQ(json::parse(beyond.body).at("message").as_string(),
            "Only the first 1000 search results are available");
  EXPECT_TRUE(json::parse(beyond.body).as_object().contains("documentation_url"));
  // per_page is at most 100; the default is 30.
  EXPECT_EQ(
      json::parse(fetch(base + "?q=repo:big/repo&per_page=500").body).at("items").as_array().size(),
      100u);
  EXPECT_EQ(json::parse(fetch(base + "?q=repo:big/repo").body).at("items").as_array().size(), 30u);
}

TEST_F(FakeGitHubPullsTest, SearchHasItsOwnRateLimitOfThirtyAMinute) {
  const int64_t reset = now_s() + 45;
  fake.set_search_rate_limit(2, reset);
  const Reply a = fetch(api("/search/issues?q=is:pr"));
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.header("x-ratelimit-remaining"), "1");
  EXPECT_EQ(a.header("x-ratelimit-limit"), "30");
  EXPECT_EQ(a.header("x-ratelimit-reset"), std::to_string(reset));
  EXPECT_EQ(fetch(api("/search/issues?q=is:pr")).header("x-ratelimit-remaining"), "0");
  const Reply over = fetch(api("/search/issues?q=is:pr"));
  EXPECT_EQ(over.status, 403);
  EXPECT_EQ(over.header("x-ratelimit-resource"), "search");
  EXPECT_EQ(over.header("x-ratelimit-remaining"), "0");
  // The core resource is untouched.
  const Reply core = fetch(api("/repos/acme/web/pulls/1"));
  EXPECT_EQ(core.status, 200);
  EXPECT_EQ(core.header("x-ratelimit-resource"), "core");
  EXPECT_EQ(core.header("x-ratelimit-remaining"), "4999");
  // A window that has passed starts again from the full limit.
  fake.set_search_rate_limit(0, now_s() - 1);
  const Reply fresh = fetch(api("/search/issues?q=is:pr"));
  EXPECT_EQ(fresh.status, 200);
  EXPECT_EQ(fresh.header("x-ratelimit-remaining"), "29");
}

TEST_F(FakeGitHubPullsTest, GraphqlSearchAnswersTheFixedShapeWithCursorsAndCap) {
  const std::string query =
      R"(query($q: String!, $after: String) { search(query: $q, type: ISSUE, first: 2, after: $after) {
           issueCount pageInfo { hasNextPage endCursor }
           nodes { ... on PullRequest { id number title url state isDraft headRefOid createdAt updatedAt
                   author { login } repository { nameWithOwner } labels(first: 100) { nodes { name } } } } } })";
  json::object vars{{"q", "repo:acme/web is:pr"}, {"after", nullptr}};
  const Reply r = graphql(query, vars);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("x-ratelimit-resource"), "graphql");
  const json::value page1 = json::parse(r.body).at("data").at("search");
  EXPECT_EQ(page1.at("issueCount").as_int64(), 3);
  ASSERT_EQ(page1.at("nodes").as_array().size(), 2u);
  EXPECT_TRUE(page1.at("pageInfo").at("hasNextPage").as_bool());
  const json::value &n0 = page1.at("nodes").at(0);
  EXPECT_EQ(n0.at("number").as_int64(), 2);
  EXPECT_EQ(n0.at("id").as_string(), FakeGitHub::pull_node_id("acme/web", 2));
  EXPECT_EQ(n0.at("title").as_string(), "WIP: new parser");
  EXPECT_EQ(n0.at("url").as_string(), "https://github.com/acme/web/pull/2");
  EXPECT_EQ(n0.at("state").as_string(), "OPEN");
  EXPECT_TRUE(n0.at("isDraft").as_bool());
  EXPECT_EQ(n0.at("headRefOid").as_string(), "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
  EXPECT_EQ(n0.at("createdAt").as_string(), "2024-02-01T00:00:00Z");
  EXPECT_EQ(n0.at("author").at("login").as_string(), "alice");
  EXPECT_EQ(n0.at("repository").at("nameWithOwner").as_string(), "acme/web");
  EXPECT_EQ(n0.at("labels").at("nodes").at(1).at("name").as_string(), "ready");
  vars["after"] = page1.at("pageInfo").at("endCursor");
  const json::value page2 = json::parse(graphql(query, vars).body).at("data").at("search");
  ASSERT_EQ(page2.at("nodes").as_array().size(), 1u);
  EXPECT_EQ(page2.at("nodes").at(0).at("state").as_string(), "MERGED");
  EXPECT_FALSE(page2.at("pageInfo").at("hasNextPage").as_bool());

  std::vector<PullEntry> many;
  for (int i = 1; i <= 1010; ++i) many.push_back({"big/repo", i, PullState{}});
  fake.set_pulls(many);
  std::string after = "null";
  std::size_t seen = 0;
  for (int page = 0; page < 20; ++page) {
    const json::value s =
        json::parse(
            graphql(
                R"({ search(query: "repo:big/repo", type: ISSUE, first: 100, after: )" + after +
                R"() { issueCount pageInfo { hasNextPage endCursor } nodes { ... on PullRequest { number } } } })")
                .body)
            .at("data")
            .at("search");
    EXPECT_EQ(s.at("issueCount").as_int64(), 1010);
    seen += s.at("nodes").as_array().size();
    if (!s.at("pageInfo").at("hasNextPage").as_bool()) break;
    after = "\"" + std::string(s.at("pageInfo").at("endCursor").as_string()) + "\"";
  }
  EXPECT_EQ(seen, 1000u);
}

// --- merge -----------------------------------------------------------------------------------

TEST_F(FakeGitHubPullsTest, MergeAnswers200AndClosesAndMergesThePull) {
  const Reply r =
      merge(1, {{"sha", kHead}, {"merge_method", "squash"}, {"commit_title", "Fix (#1)"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value body = json::parse(r.body);
  EXPECT_EQ(keys(body), keys(fixture("merge")));
  EXPECT_TRUE(body.at("merged").as_bool());
  EXPECT_EQ(body.at("message").as_string(), "Pull Request successfully merged");
  EXPECT_EQ(body.at("sha").as_string().size(), 40u);
  const PullState after = fake.pull("acme/web", 1);
  EXPECT_EQ(after.state, "closed");
  EXPECT_TRUE(after.merged);
  EXPECT_EQ(after.merge_method, "squash");
  EXPECT_EQ(after.merge_commit_sha, body.at("sha").as_string());
  EXPECT_GT(after.updated_at, "2024-01-10T10:00:00Z");
  const json::value pull = json::parse(fetch(api("/repos/acme/web/pulls/1")).body);
  EXPECT_EQ(pull.at("state").as_string(), "closed");
  EXPECT_TRUE(pull.at("merged").as_bool());
  EXPECT_EQ(pull.at("merge_commit_sha").as_string(), body.at("sha").as_string());
  EXPECT_FALSE(pull.at("merged_at").is_null());
  EXPECT_TRUE(pull.at("mergeable").is_null());
  EXPECT_EQ(numbers("repo:acme/web is:merged"), (std::vector<int64_t>{1, 3}));
}

TEST_F(FakeGitHubPullsTest, MergeWithAStaleShaAnswers409AndMergesNothing) {
  const Reply r = merge(1, {{"sha", "0000000000000000000000000000000000000000"}});
  EXPECT_EQ(r.status, 409);
  const json::value body = json::parse(r.body);
  EXPECT_EQ(body.at("message").as_string(),
            "Head branch was modified. Review and try the merge again.");
  EXPECT_TRUE(body.as_object().contains("documentation_url"));
  EXPECT_EQ(fake.pull("acme/web", 1).state, "open");
  EXPECT_FALSE(fake.pull("acme/web", 1).merged);
}

TEST_F(FakeGitHubPullsTest, MergeOfAnUnmergeablePullAnswers405) {
  PullState s = fake.pull("acme/web", 1);
  s.mergeable_state = "dirty";
  fake.set_pull("acme/web", 1, s);
  Reply r = merge(1, {});
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(json::parse(r.body).at("message").as_string(), "Pull Request is not mergeable");
  r = merge(2, {});  // a draft
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(json::parse(r.body).at("message").as_string(), "Pull Request is still a draft");
  r = merge(3, {});  // already merged
  EXPECT_EQ(r.status, 405);
  EXPECT_FALSE(fake.pull("acme/web", 1).merged);
}

TEST_F(FakeGitHubPullsTest, MergeAnswersTheScriptedRefusal) {
  PullState s = fake.pull("acme/web", 1);
  s.merge_refusal_status = 405;
  s.merge_message = "Required status check \"unit-tests\" is failing.";
  fake.set_pull("acme/web", 1, s);
  Reply r = merge(1, {{"sha", kHead}});
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(json::parse(r.body).at("message").as_string(),
            "Required status check \"unit-tests\" is failing.");
  s.merge_refusal_status = 422;
  s.merge_message = "Base branch was modified. Review and try the merge again.";
  fake.set_pull("acme/web", 1, s);
  r = merge(1, {});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(merge(1, {{"merge_method", "octopus"}}).status, 422);
  EXPECT_EQ(fetch(api("/repos/acme/web/pulls/1/merge"), with_body("PUT", "{nope")).status, 400);
  EXPECT_EQ(merge(99, {}).status, 404);
  EXPECT_FALSE(fake.pull("acme/web", 1).merged);
}

TEST_F(FakeGitHubPullsTest, GraphqlMergePullRequestMergesOrAnswersGitHubErrors) {
  const std::string id = FakeGitHub::pull_node_id("acme/web", 1);
  const std::string mutation =
      R"(mutation($input: MergePullRequestInput!) { mergePullRequest(input: $input) { pullRequest { merged mergeCommit { oid } } } })";
  json::value stale = json::parse(
      graphql(mutation, {{"input",
                          {{"pullRequestId", id},
                           {"expectedHeadOid", "1111111111111111111111111111111111111111"},
                           {"mergeMethod", "SQUASH"}}}})
          .body);
  EXPECT_TRUE(stale.at("data").at("mergePullRequest").is_null());
  EXPECT_EQ(stale.at("errors").at(0).at("message").as_string(),
            "Head branch was modified. Review and try the merge again.");
  EXPECT_EQ(stale.at("errors").at(0).at("path"), (json::array{"mergePullRequest"}));
  EXPECT_FALSE(fake.pull("acme/web", 1).merged);

  const json::value unknown = json::parse(
      graphql(
          R"(mutation { mergePullRequest(input: {pullRequestId: "PR_nope"}) { pullRequest { merged } } })")
          .body);
  EXPECT_EQ(unknown.at("errors").at(0).at("type").as_string(), "NOT_FOUND");

  const json::value ok = json::parse(
      graphql(R"(mutation { m: mergePullRequest(input: {pullRequestId: ")" + id +
              R"(", expectedHeadOid: ")" + kHead +
              R"(", mergeMethod: SQUASH}) { pullRequest { merged mergeCommit { oid } } } })")
          .body);
  const json::value &pr = ok.at("data").at("m").at("pullRequest");
  EXPECT_TRUE(pr.at("merged").as_bool());
  EXPECT_EQ(pr.at("mergeCommit").at("oid").as_string(), fake.pull("acme/web", 1).merge_commit_sha);
  EXPECT_EQ(fake.pull("acme/web", 1).merge_method, "squash");
  EXPECT_FALSE(ok.as_object().contains("errors"));

  const json::value again =
      json::parse(graphql(R"(mutation { mergePullRequest(input: {pullRequestId: ")" + id +
                          R"("}) { pullRequest { merged } } })")
                      .body);
  EXPECT_EQ(again.at("errors").at(0).at("message").as_string(), "Pull Request is not mergeable");
}

// --- update-branch, refs, statuses -------------------------------------------------------------

TEST_F(FakeGitHubPullsTest, UpdateBranchMovesTheHeadAndMakesABehindPullClean) {
  PullState s = fake.pull("acme/web", 1);
  s.mergeable_state = "behind";
  s.checks = {{"build", "completed", "success", ""}};
  fake.set_pull("acme/web", 1, s);
  const std::string url = api("/repos/acme/web/pulls/1/update-branch");
  const Reply stale = fetch(url, with_body("PUT", R"({"expected_head_sha":"1234"})"));
  EXPECT_EQ(stale.status, 422);
  EXPECT_EQ(fake.pull("acme/web", 1).head_sha, kHead);

  const Reply r = fetch(url, with_body("PUT", R"({"expected_head_sha":")" + kHead + R"("})"));
  ASSERT_EQ(r.status, 202) << r.body;
  const json::value body = json::parse(r.body);
  EXPECT_EQ(keys(body), keys(fixture("update_branch")));
  EXPECT_EQ(body.at("message").as_string(), "Updating pull request branch.");
  const PullState after = fake.pull("acme/web", 1);
  EXPECT_NE(after.head_sha, kHead);
  EXPECT_EQ(after.head_sha.size(), 40u);
  EXPECT_EQ(after.mergeable_state, "clean");
  const json::value pull = json::parse(fetch(api("/repos/acme/web/pulls/1")).body);
  EXPECT_EQ(pull.at("head").at("sha").as_string(), after.head_sha);
  EXPECT_EQ(pull.at("mergeable_state").as_string(), "clean");
  // The old head keeps its checks; the new one has none yet.
  EXPECT_EQ(json::parse(fetch(api("/repos/acme/web/commits/" + kHead + "/check-runs")).body)
                .at("total_count")
                .as_int64(),
            1);
  EXPECT_EQ(
      json::parse(fetch(api("/repos/acme/web/commits/" + after.head_sha + "/check-runs")).body)
          .at("total_count")
          .as_int64(),
      0);
  // Up to date now: nothing to update.
  EXPECT_EQ(fetch(url, with_body("PUT", "{}")).status, 422);
}

TEST_F(FakeGitHubPullsTest, DeleteBranchAnswers204AndIsRecorded) {
  const Reply r = fetch(api("/repos/acme/web/git/refs/heads/feature/x"), with_body("DELETE", ""));
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(fake.deleted_branches("acme/web"), (std::vector<std::string>{"feature/x"}));
  EXPECT_EQ(fetch(api("/repos/acme/web/git/refs/heads/feature/x"), with_body("DELETE", "")).status,
            422);
  EXPECT_EQ(fetch(api("/repos/ghost/repo/git/refs/heads/x"), with_body("DELETE", "")).status, 404);
}

TEST_F(FakeGitHubPullsTest, PostedStatusAppearsInTheCombinedStatusAndTheRollup) {
  const std::string url = api("/repos/acme/web/statuses/" + kHead);
  const Reply r = fetch(url, post(R"({"state":"failure","target_url":"https://ci/1",
                                      "description":"goalkeeper: blocked","context":"goalkeeper"})"));
  ASSERT_EQ(r.status, 201) << r.body;
  const json::value status = json::parse(r.body);
  EXPECT_EQ(keys(status), keys(fixture("status")));
  EXPECT_EQ(status.at("state").as_string(), "failure");
  EXPECT_EQ(status.at("context").as_string(), "goalkeeper");
  EXPECT_EQ(status.at("description").as_string(), "goalkeeper: blocked");
  EXPECT_EQ(status.at("target_url").as_string(), "https://ci/1");

  const json::value combined =
      json::parse(fetch(api("/repos/acme/web/commits/" + kHead + "/status")).body);
  EXPECT_EQ(combined.at("state").as_string(), "failure");
  ASSERT_EQ(combined.at("statuses").as_array().size(), 1u);
  EXPECT_EQ(combined.at("statuses").at(0).at("context").as_string(), "goalkeeper");
  EXPECT_EQ(combined.at("statuses").at(0).at("description").as_string(), "goalkeeper: blocked");

  // A newer status of the same context replaces it.
  ASSERT_EQ(fetch(url, post(R"({"state":"success","context":"goalkeeper"})")).status, 201);
  const json::value again =
      json::parse(fetch(api("/repos/acme/web/commits/" + kHead + "/status")).body);
  EXPECT_EQ(again.at("state").as_string(), "success");
  EXPECT_EQ(again.at("total_count").as_int64(), 1);
  const json::value list =
      json::parse(fetch(api("/repos/acme/web/commits/" + kHead + "/statuses")).body);
  EXPECT_EQ(list.at(0).at("state").as_string(), "success");
  EXPECT_EQ(keys(list.at(0)), keys(fixture("statuses").at(0)));
  const json::value g = json::parse(
      graphql(
          R"({ repository(owner: "acme", name: "web") { pullRequest(number: 1) { commits(last: 1) { nodes { commit { statusCheckRollup { state } } } } } } })")
          .body);
  EXPECT_EQ(g.at("data")
                .at("repository")
                .at("pullRequest")
                .at("commits")
                .at("nodes")
                .at(0)
                .at("commit")
                .at("statusCheckRollup")
                .at("state")
                .as_string(),
            "SUCCESS");
  EXPECT_EQ(fake.pull("acme/web", 1).statuses.size(), 1u);

  EXPECT_EQ(fetch(url, post(R"({"state":"great"})")).status, 422);
  EXPECT_EQ(fetch(api("/repos/acme/web/statuses/0123"), post(R"({"state":"success"})")).status,
            422);
}

// --- mutation log ----------------------------------------------------------------------------

TEST_F(FakeGitHubPullsTest, EveryMutationIsRecordedInOrderWithItsBodyAndAnswer) {
  merge(1, {{"sha", "0000000000000000000000000000000000000000"}});
  fetch(api("/repos/acme/web/statuses/" + kHead), post(R"({"state":"pending"})"));
  fetch(api("/repos/acme/web/pulls/1"));  // reads are not recorded
  graphql("query { rateLimit { cost } }");
  graphql(
      R"(mutation { mergePullRequest(input: {pullRequestId: "x"}) { pullRequest { merged } } })");
  fetch(api("/repos/acme/web/git/refs/heads/feature"), with_body("DELETE", ""));
  const std::vector<Mutation> m = fake.mutations();
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].method, "PUT");
  EXPECT_EQ(m[0].path, "/api/v3/repos/acme/web/pulls/1/merge");
  EXPECT_EQ(json::parse(m[0].body).at("sha").as_string(),
            "0000000000000000000000000000000000000000");
  EXPECT_EQ(m[0].status, 409u);
  EXPECT_EQ(m[1].method, "POST");
  EXPECT_EQ(m[1].path, "/api/v3/repos/acme/web/statuses/" + kHead);
  EXPECT_EQ(m[1].status, 201u);
  EXPECT_EQ(m[2].path, "/api/graphql");
  EXPECT_NE(m[2].body.find("mergePullRequest"), std::string::npos);
  EXPECT_EQ(m[3].method, "DELETE");
  EXPECT_EQ(m[3].status, 204u);
  fake.reset_counts();
  EXPECT_EQ(fake.mutations().size(), 4u);
  fake.clear_mutations();
  EXPECT_TRUE(fake.mutations().empty());
}

}  // namespace
}  // namespace gkfake
