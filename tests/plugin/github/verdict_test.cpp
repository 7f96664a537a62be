// gh_ci and gh_review verdicts, GraphQL/REST parsing, settings, timing and redaction: the pure
// parts of plugin/github, without a network.
#include <gtest/gtest.h>

#include "centaur/centaur_checker.hpp"
#include "core/error.hpp"
#include "core/failure_text.hpp"
#include "core/poll_timing.hpp"
#include "core/secret.hpp"
#include "core/signal_match.hpp"
#include "github/ci_state.hpp"
#include "github/gate_spec.hpp"
#include "github/graphql.hpp"
#include "github/rest.hpp"
#include "github/review_state.hpp"
#include "github/settings.hpp"
#include "net/url.hpp"

namespace json = boost::json;
using namespace gk::github;
using gk::backoff_ms;
using gk::jitter;
using gk::pull_web_url;
using gk::quiet_interval_ms;
using gk::redact;
using gk::redact_json;
using Kind = Verdict::Kind;

namespace {

CheckRunInfo run(std::string name, std::string status, std::string conclusion = "",
                 int64_t id = 0) {
  return {
      std::move(name), std::move(status), std::move(conclusion), "https://ci.example/x", id, ""};
}

CiSnapshot snap(std::vector<CheckRunInfo> runs, std::vector<StatusInfo> statuses = {}) {
  CiSnapshot s;
  s.head_sha = "abc";
  s.runs = std::move(runs);
  s.statuses = std::move(statuses);
  return s;
}

}  // namespace

TEST(CiVerdict, EveryConclusionOfACompletedRun) {
  struct Case {
    const char *conclusion;
    Kind kind;
  } cases[] = {{"success", Kind::pass},         {"neutral", Kind::pass},
               {"skipped", Kind::pass},         {"failure", Kind::fail},
               {"cancelled", Kind::fail},       {"timed_out", Kind::fail},
               {"action_required", Kind::fail}, {"startup_failure", Kind::fail},
               {"stale", Kind::fail},           {"", Kind::wait}};
  for (const auto &c : cases) {
    Verdict v = evaluate_ci(snap({run("build", "completed", c.conclusion)}), {});
    EXPECT_EQ(v.kind, c.kind) << c.conclusion;
    if (c.kind == Kind::fail) {
      const auto &failed = v.artifacts.at("failed_checks").as_array();
      ASSERT_EQ(failed.size(), 1u);
      EXPECT_EQ(failed[0].at("name"), "build");
      EXPECT_EQ(failed[0].at("conclusion"), c.conclusion);
      EXPECT_EQ(failed[0].at("url"), "https://ci.example/x");
      EXPECT_EQ(v.artifacts.at("head_sha"), "abc");
    }
  }
}

TEST(CiVerdict, EveryUnfinishedStatusWaits) {
  for (const char *status : {"queued", "in_progress", "waiting", "requested", "pending"}) {
    EXPECT_EQ(evaluate_ci(snap({run("build", status)}), {}).kind, Kind::wait) << status;
    EXPECT_EQ(
        evaluate_ci(snap({run("build", status), run("lint", "completed", "success")}), {}).kind,
        Kind::wait)
        << status;
  }
}

TEST(CiVerdict, AFailureDecidesEvenWhileOthersRun) {
  auto v =
      evaluate_ci(snap({run("build", "in_progress"), run("lint", "completed", "failure")}), {});
  EXPECT_EQ(v.kind, Kind::fail);
}

TEST(CiVerdict, NothingYetWaits) {
  EXPECT_EQ(evaluate_ci(snap({}), {}).kind, Kind::wait);
}

TEST(CiVerdict, EveryCombinedStatusState) {
  auto with = [](std::string state) {
    CiSnapshot s = snap({run("build", "completed", "success")},
                        {{"ci/legacy", state, "https://status.example/1"}});
    s.combined_state = state;
    return evaluate_ci(s, {});
  };
  EXPECT_EQ(with("success").kind, Kind::pass);
  EXPECT_EQ(with("pending").kind, Kind::wait);
  auto failure = with("failure");
  EXPECT_EQ(failure.kind, Kind::fail);
  EXPECT_EQ(failure.artifacts.at("failed_statuses").as_array()[0].at("context"), "ci/legacy");
  EXPECT_EQ(with("error").kind, Kind::fail);
  // Statuses alone decide too.
  CiSnapshot only = snap({}, {{"ci/legacy", "success", ""}});
  EXPECT_EQ(evaluate_ci(only, {}).kind, Kind::pass);
  // GraphQL's EXPECTED (required but not reported) waits.
  CiSnapshot expected = snap({run("build", "completed", "success")}, {{"ci/x", "expected", ""}});
  EXPECT_EQ(evaluate_ci(expected, {}).kind, Kind::wait);
}

TEST(CiVerdict, PendingWithoutStatusesIsNoStatuses) {
  // GitHub answers state "pending" with total_count 0 for check-run-only repositories; the REST
  // parser leaves combined_state unset then.
  CiSnapshot s = snap({run("build", "completed", "success")});
  EXPECT_EQ(evaluate_ci(s, {}).kind, Kind::pass);
}

TEST(CiVerdict, LatestRunPerName) {
  // A failed run re-run successfully: the newer one counts (by id, then by list order).
  EXPECT_EQ(evaluate_ci(snap({run("build", "completed", "failure", 5),
                              run("build", "completed", "success", 9)}),
                        {})
                .kind,
            Kind::pass);
  EXPECT_EQ(evaluate_ci(snap({run("build", "completed", "success", 9),
                              run("build", "completed", "failure", 5)}),
                        {})
                .kind,
            Kind::pass);
  EXPECT_EQ(
      evaluate_ci(
          snap({run("build", "completed", "success"), run("build", "completed", "failure")}), {})
          .kind,
      Kind::fail);
  CheckRunInfo older = run("build", "completed", "failure");
  older.started_at = "2024-01-01T00:00:00Z";
  CheckRunInfo newer = run("build", "in_progress");
  newer.started_at = "2024-01-02T00:00:00Z";
  EXPECT_EQ(evaluate_ci(snap({newer, older}), {}).kind, Kind::wait);
}

TEST(CiVerdict, RequiredChecksFilter) {
  CiSnapshot s = snap({run("build", "completed", "success"), run("flaky", "completed", "failure")},
                      {{"deploy/preview", "pending", ""}});
  EXPECT_EQ(evaluate_ci(s, {}).kind, Kind::fail);
  EXPECT_EQ(evaluate_ci(s, {"build"}).kind, Kind::pass);
  EXPECT_EQ(evaluate_ci(s, {"build", "lint"}).kind, Kind::wait);  // lint not there yet
  EXPECT_EQ(evaluate_ci(s, {"build", "deploy/preview"}).kind, Kind::wait);
  EXPECT_EQ(evaluate_ci(s, {"flaky"}).kind, Kind::fail);
}

TEST(CiVerdict, FingerprintNoticesChange) {
  auto a = snap({run("build", "in_progress")});
  auto b = snap({run("build", "completed", "success")});
  EXPECT_EQ(ci_fingerprint(a), ci_fingerprint(a));
  EXPECT_NE(ci_fingerprint(a), ci_fingerprint(b));
}

TEST(ReviewVerdict, LatestCountingReviewPerReviewer) {
  std::vector<ReviewInfo> r = {{"ann", "CHANGES_REQUESTED", "please fix X", "", 1, ""},
                               {"ann", "COMMENTED", "hm", "", 2, ""},
                               {"bob", "APPROVED", "", "", 3, ""}};
  auto v = evaluate_reviews(r, 1);
  ASSERT_EQ(v.kind, Kind::fail);  // ann's comment does not lift her request
  EXPECT_EQ(v.artifacts.at("reviewers").as_array()[0], "ann");
  EXPECT_EQ(v.artifacts.at("reviews").as_array()[0].at("body"), "please fix X");
  r.push_back({"ann", "APPROVED", "ok", "", 4, ""});
  EXPECT_EQ(evaluate_reviews(r, 1).kind, Kind::pass);
  EXPECT_EQ(evaluate_reviews(r, 2).kind, Kind::pass);
  EXPECT_EQ(evaluate_reviews(r, 3).kind, Kind::wait);
  // A dismissed review counts as the latest state, but not as an approval.
  r.push_back({"bob", "DISMISSED", "", "", 5, ""});
  EXPECT_EQ(evaluate_reviews(r, 2).kind, Kind::wait);
  // PENDING and COMMENTED only: wait.
  EXPECT_EQ(
      evaluate_reviews({{"cy", "PENDING", "", "", 1, ""}, {"cy", "COMMENTED", "", "", 2, ""}}, 1)
          .kind,
      Kind::wait);
}

TEST(ReviewVerdict, Decisions) {
  EXPECT_EQ(evaluate_decision("APPROVED", {}, 1).kind, Kind::pass);
  EXPECT_EQ(evaluate_decision("REVIEW_REQUIRED", {}, 1).kind, Kind::wait);
  auto v = evaluate_decision("CHANGES_REQUESTED",
                             {{"ann", "CHANGES_REQUESTED", "rename it", "", 0, ""}}, 1);
  EXPECT_EQ(v.kind, Kind::fail);
  EXPECT_EQ(v.artifacts.at("reviews").as_array()[0].at("body"), "rename it");
  // More approvals than the branch rule asks for: counted from the reviews.
  EXPECT_EQ(evaluate_decision("APPROVED", {{"ann", "APPROVED", "", "", 0, ""}}, 2).kind,
            Kind::wait);
}

TEST(GraphQL, QueryShapeAndAliases) {
  std::string body = graphql::request_body({{"o", "r", 1, false, ""}, {"o", "s", 2, true, "Y3"}});
  std::string q(json::parse(body).at("query").as_string());
  EXPECT_NE(q.find("pr0: repository(owner: \"o\", name: \"r\") { pullRequest(number: 1)"),
            std::string::npos);
  EXPECT_NE(q.find("pr1: repository(owner: \"o\", name: \"s\")"), std::string::npos);
  EXPECT_NE(q.find("contexts(first: 100, after: \"Y3\")"), std::string::npos);
  EXPECT_NE(q.find("headRefOid reviewDecision"), std::string::npos);
  EXPECT_EQ(q.find("latestReviews"), q.rfind("latestReviews"));  // only for pr1
}

TEST(GraphQL, ParsesAnswersErrorsAndUnavailable) {
  auto a = graphql::parse_answer(R"({"data": {
    "pr0": {"pullRequest": {"headRefOid": "h1", "reviewDecision": null, "commits": {"nodes": [
      {"commit": {"oid": "h1", "statusCheckRollup": {"state": "PENDING", "contexts": {
        "pageInfo": {"hasNextPage": true, "endCursor": "c1"},
        "nodes": [{"__typename": "CheckRun", "name": "build", "status": "IN_PROGRESS",
                   "conclusion": null, "detailsUrl": "u"},
                  {"__typename": "StatusContext", "context": "ci", "state": "SUCCESS",
                   "targetUrl": null}]}}}}]}}},
    "pr1": null},
    "errors": [{"type": "NOT_FOUND", "path": ["pr1"], "message": "Could not resolve"}]})",
                                 2);
  ASSERT_TRUE(a.malformed.empty());
  ASSERT_FALSE(a.unavailable);
  ASSERT_EQ(a.pulls.size(), 2u);
  EXPECT_EQ(a.pulls[0].kind, graphql::PullAnswer::Kind::ok);
  EXPECT_EQ(a.pulls[0].head_sha, "h1");
  EXPECT_FALSE(a.pulls[0].review_decision);
  EXPECT_TRUE(a.pulls[0].has_next_page);
  EXPECT_EQ(a.pulls[0].end_cursor, "c1");
  ASSERT_EQ(a.pulls[0].ci.runs.size(), 1u);
  EXPECT_EQ(a.pulls[0].ci.runs[0].status, "in_progress");
  EXPECT_EQ(a.pulls[0].ci.statuses[0].state, "success");
  EXPECT_EQ(a.pulls[1].kind, graphql::PullAnswer::Kind::not_found);
  EXPECT_TRUE(graphql::parse_answer(R"({"errors": [{"message": "no"}]})", 1).unavailable);
  EXPECT_TRUE(graphql::parse_answer(R"({"errors": [{"type": "RATE_LIMITED", "message": "x"}]})", 1)
                  .rate_limited);
  EXPECT_FALSE(graphql::parse_answer("<html>", 1).malformed.empty());
  EXPECT_FALSE(graphql::parse_answer(R"({"data": {"pr0": {"pull)", 1).malformed.empty());
}

TEST(Rest, ParsesTheDocumentedShapes) {
  EXPECT_EQ(rest::parse_pull_head(json::parse(R"({"head": {"sha": "s"}})")), "s");
  EXPECT_THROW(rest::parse_pull_head(json::parse("[]")), rest::MalformedAnswer);
  auto runs = rest::parse_check_runs(json::parse(
      R"({"total_count": 2, "check_runs": [{"id": 4, "name": "b", "status": "completed",
          "conclusion": "success", "details_url": "d", "started_at": "t"}]})"));
  EXPECT_EQ(runs.total_count, 2);
  EXPECT_EQ(runs.runs[0].id, 4);
  auto st =
      rest::parse_status(json::parse(R"({"state": "pending", "total_count": 0, "statuses": []})"));
  EXPECT_EQ(st.state, "pending");
  auto rv = rest::parse_reviews(
      json::parse(R"([{"id": 1, "user": {"login": "ann"}, "state": "APPROVED", "body": "ok"}])"));
  EXPECT_EQ(rv[0].user, "ann");
  EXPECT_EQ(rest::check_runs_url("https://h/api/v3", "o/r", "s", 2),
            "https://h/api/v3/repos/o/r/commits/s/check-runs?per_page=100&page=2");
}

TEST(Settings, DefaultsAndGhes) {
  gk::Config c;
  auto s = read_settings(c);
  EXPECT_EQ(s.api_url, "https://api.github.com");
  EXPECT_EQ(s.graphql_url, "https://api.github.com/graphql");
  EXPECT_EQ(s.token_env, "GITHUB_TOKEN");
  EXPECT_EQ(s.poll_ci_ms, 30'000);
  EXPECT_EQ(s.poll_review_ms, 60'000);
  c.raw = json::parse(R"({"github": {"api_url": "https://ghe.example/api/v3/",
                          "poll_s": {"gh_ci": 5, "gh_review": 0.5}}})")
              .as_object();
  s = read_settings(c);
  EXPECT_EQ(s.api_url, "https://ghe.example/api/v3");
  EXPECT_EQ(s.graphql_url, "https://ghe.example/api/graphql");
  EXPECT_EQ(s.poll_ci_ms, 5'000);
  EXPECT_EQ(s.poll_review_ms, 500);
  EXPECT_EQ(pull_web_url(s.api_url, "o/r", 3), "https://ghe.example/o/r/pull/3");
  EXPECT_EQ(pull_web_url("https://api.github.com", "o/r", 3), "https://github.com/o/r/pull/3");
  c.raw = json::parse(R"({"github": {"poll_s": {"gh_ci": "often"}}})").as_object();
  EXPECT_THROW(read_settings(c), gk::Error);
}

TEST(GateConfig, Checked) {
  auto ok = parse_gate(json::parse(R"({"type": "gh_ci", "repo": "o/r", "pr": "12",
                                        "checks": ["build"]})")
                           .as_object());
  ASSERT_TRUE(std::holds_alternative<GateSpec>(ok));
  EXPECT_EQ(std::get<GateSpec>(ok).pr, 12);
  EXPECT_EQ(std::get<GateSpec>(ok).target(), "o/r#12");
  for (const char *bad :
       {R"({"type": "gh_ci", "repo": "o/r"})", R"({"type": "gh_ci", "repo": "or", "pr": 1})",
        R"({"type": "gh_ci", "repo": "o/r\"){", "pr": 1})",
        R"({"type": "gh_ci", "repo": "o/r", "pr": -1})",
        R"({"type": "gh_ci", "repo": "o/r", "sha": "xyz"})",
        R"({"type": "gh_review", "repo": "o/r", "sha": "abcdef0"})",
        R"({"type": "gh_ci", "repo": "o/r", "pr": 1, "checks": "build"})"})
    EXPECT_TRUE(std::holds_alternative<std::string>(parse_gate(json::parse(bad).as_object())))
        << bad;
}

TEST(Timing, JitteredStretchedAndBackedOff) {
  int64_t a = quiet_interval_ms(30'000, 0, 300'000, "g/ci");
  EXPECT_GE(a, 27'000);
  EXPECT_LE(a, 33'000);
  EXPECT_EQ(a, quiet_interval_ms(30'000, 0, 300'000, "g/ci"));  // deterministic
  EXPECT_GT(quiet_interval_ms(30'000, 3, 300'000, "g/ci"), 90'000);
  EXPECT_LE(quiet_interval_ms(30'000, 40, 300'000, "g/ci"), 330'000);
  EXPECT_GE(backoff_ms(5'000, 1, 300'000, "g"), 4'500);
  EXPECT_GE(backoff_ms(5'000, 3, 300'000, "g"), 18'000);
  EXPECT_LE(backoff_ms(5'000, 30, 300'000, "g"), 330'000);
  // Different gates spread out.
  EXPECT_NE(quiet_interval_ms(30'000, 0, 300'000, "g/a"),
            quiet_interval_ms(30'000, 0, 300'000, "g/b"));
}

TEST(Secret, RedactsEverywhere) {
  EXPECT_EQ(redact("a tok b tok", "tok"), "a [redacted] b [redacted]");
  EXPECT_EQ(redact("nothing", ""), "nothing");
  json::value v = json::parse(R"({"x": ["has tok inside"], "tok": 1})");
  redact_json(v, "tok");
  EXPECT_EQ(json::serialize(v).find("tok"), std::string::npos);
}

TEST(Centaur, UrlEncoding) {
  EXPECT_EQ(gk::net::url_encode("https://github.com/o/r/pull/1"),
            "https%3A%2F%2Fgithub.com%2Fo%2Fr%2Fpull%2F1");
}

TEST(GraphQL, CheckRunsAskForTheirOutputAndStatusesForTheirDescription) {
  std::string q(
      json::parse(graphql::request_body({{"o", "r", 1, false, ""}})).at("query").as_string());
  EXPECT_NE(q.find("... on CheckRun { name status conclusion detailsUrl title summary }"),
            std::string::npos)
      << q;
  EXPECT_NE(q.find("... on StatusContext { context state targetUrl description }"),
            std::string::npos)
      << q;
  auto a = graphql::parse_answer(R"({"data": {"pr0": {"pullRequest": {"headRefOid": "h",
    "commits": {"nodes": [{"commit": {"oid": "h", "statusCheckRollup": {"contexts": {
      "pageInfo": {"hasNextPage": false, "endCursor": null},
      "nodes": [{"__typename": "CheckRun", "name": "b", "status": "COMPLETED",
                 "conclusion": "FAILURE", "title": "2 failed", "summary": "see log"},
                {"__typename": "CheckRun", "name": "c", "status": "COMPLETED",
                 "conclusion": "FAILURE", "title": null, "summary": null},
                {"__typename": "StatusContext", "context": "ci", "state": "FAILURE",
                 "targetUrl": null, "description": "Build #12 failed"}]}}}}]}}}}})",
                                 1);
  ASSERT_EQ(a.pulls.at(0).ci.runs.size(), 2u);
  EXPECT_EQ(a.pulls[0].ci.runs[0].title, "2 failed");
  EXPECT_EQ(a.pulls[0].ci.runs[0].summary, "see log");
  EXPECT_EQ(a.pulls[0].ci.runs[1].title, "");
  EXPECT_EQ(a.pulls[0].ci.statuses.at(0).description, "Build #12 failed");
}

TEST(Rest, ParsesCheckOutputStatusDescriptionsAndReviewComments) {
  auto runs = rest::parse_check_runs(json::parse(
      R"({"total_count": 2, "check_runs": [
          {"id": 4, "name": "b", "status": "completed", "conclusion": "failure",
           "output": {"title": "2 failed", "summary": "see log", "text": null}},
          {"id": 5, "name": "c", "status": "completed", "conclusion": "failure",
           "output": {"title": null, "summary": null}}]})"));
  EXPECT_EQ(runs.runs[0].title, "2 failed");
  EXPECT_EQ(runs.runs[0].summary, "see log");
  EXPECT_EQ(runs.runs[1].summary, "");
  auto st = rest::parse_status(json::parse(R"({"state": "failure", "total_count": 1, "statuses": [
      {"context": "ci", "state": "failure", "target_url": null, "description": "red"}]})"));
  EXPECT_EQ(st.statuses[0].description, "red");
  auto comments = rest::parse_review_comments(json::parse(R"([
      {"user": {"login": "ann"}, "path": "a.cpp", "line": 12, "original_line": 10,
       "body": "off by one", "pull_request_review_id": 7},
      {"user": {"login": "bob"}, "path": "b.cpp", "line": null, "original_line": 3,
       "body": "outdated", "pull_request_review_id": null}])"));
  ASSERT_EQ(comments.size(), 2u);
  EXPECT_EQ(comments[0].user, "ann");
  EXPECT_EQ(comments[0].path, "a.cpp");
  EXPECT_EQ(comments[0].line, 12);
  EXPECT_EQ(comments[0].review_id, 7);
  EXPECT_EQ(comments[1].line, 3);  // an outdated comment: where it was
  EXPECT_THROW(rest::parse_review_comments(json::parse("{}")), rest::MalformedAnswer);
  EXPECT_EQ(rest::review_comments_url("https://h/api/v3", "o/r", 5, 2),
            "https://h/api/v3/repos/o/r/pulls/5/comments?per_page=100&page=2");
}

TEST(CiVerdict, AFailureCarriesTheFailingChecksOutputAndStatusDescriptions) {
  CheckRunInfo bad = run("unit", "completed", "failure");
  bad.title = "3 failed\x1b";
  bad.summary = std::string(3'000, 's');
  CiSnapshot s = snap({run("build", "completed", "success"), bad},
                      {{"ci/jenkins", "error", "https://j/1", "Build #12 broke"},
                       {"ci/fine", "success", "", "ok"}});
  Verdict v = evaluate_ci(s, {});
  ASSERT_EQ(v.kind, Kind::fail);
  const auto &checks = v.artifacts.at("failed_checks").as_array();
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].at("title"), "3 failed");
  EXPECT_LE(checks[0].at("summary").as_string().size(), gk::kFailureMaxSummaryBytes);
  const auto &statuses = v.artifacts.at("failed_statuses").as_array();
  ASSERT_EQ(statuses.size(), 1u);
  EXPECT_EQ(statuses[0].at("description"), "Build #12 broke");
}

TEST(ReviewVerdict, LineCommentsOfTheRequestingReviewersComeFirstThenTheNewest) {
  json::object a{{"reviewers", json::array{"ann"}}};
  std::vector<ReviewCommentInfo> comments;
  for (int i = 0; i < 60; ++i)
    comments.push_back({i == 3 ? "ann" : "bob", "f.cpp", i + 1, "c" + std::to_string(i), 0});
  add_review_comments(a, comments);
  const auto &kept = a.at("comments").as_array();
  ASSERT_EQ(kept.size(), gk::kFailureMaxComments);
  EXPECT_EQ(a.at("comments_omitted"), 10);
  EXPECT_EQ(kept[0].at("body"), "c3");   // ann's, though old
  EXPECT_EQ(kept[1].at("body"), "c11");  // then bob's newest 49, in GitHub's order
  EXPECT_EQ(kept.back().at("body"), "c59");
  json::object few{{"reviewers", json::array{"ann"}}};
  add_review_comments(few, {{"bob", "g.cpp", 0, "general", 0}});
  EXPECT_EQ(few.at("comments").as_array()[0].at("line"), 0);
  EXPECT_FALSE(few.contains("comments_omitted"));
}
