// The text a failed gate sends back to the agent before it: readable for gh_ci and gh_review,
// bounded, without control characters, and the JSON for anything else.
#include "core/failure_text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace json = boost::json;
using gk::failure_text;
using gk::prompt_text;

namespace {

json::object ci_failure() {
  return json::parse(R"({
    "head_sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e",
    "failed_checks": [{"name": "unit-tests", "conclusion": "failure", "title": "3 tests failed",
                       "summary": "parser_test: 2 failures\nlexer_test: 1 failure",
                       "url": "https://ci.example/unit/77"}],
    "failed_statuses": [{"context": "ci/jenkins", "state": "failure",
                         "description": "Build #12 failed",
                         "url": "https://jenkins.example/12"}]})")
      .as_object();
}

json::object review_failure() {
  return json::parse(R"({
    "review_decision": "CHANGES_REQUESTED", "reviewers": ["alice"],
    "head_sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e",
    "reviews": [{"reviewer": "alice", "state": "CHANGES_REQUESTED",
                 "body": "Please split the parser.\nAnd add tests.", "url": "u"}],
    "comments": [{"user": "alice", "path": "src/a.cpp", "line": 12, "body": "off by one"},
                 {"user": "bob", "path": "src/b.cpp", "line": 3, "body": "why?\nexplain"}]})")
      .as_object();
}

}  // namespace

TEST(FailureText, ACiFailureNamesEachFailingCheckWithConclusionTitleSummaryAndUrl) {
  EXPECT_EQ(failure_text("ci", "gh_ci", 1, 3, ci_failure()),
            "The gate 'ci' (gh_ci) failed (retry 1 of 3) at 6dcb09b.\n"
            "Failing checks:\n"
            "- unit-tests: failure \u2014 3 tests failed\n"
            "  parser_test: 2 failures\n"
            "  lexer_test: 1 failure\n"
            "  https://ci.example/unit/77\n"
            "Failing statuses:\n"
            "- ci/jenkins: failure \u2014 Build #12 failed\n"
            "  https://jenkins.example/12\n");
}

TEST(FailureText, ACheckWithoutTitleOrSummaryStillNamesItsConclusionAndUrl) {
  auto a = json::parse(R"({"head_sha": "abc", "failed_checks": [
    {"name": "lint", "conclusion": "timed_out", "url": "https://ci.example/lint"}],
    "failed_statuses": []})")
               .as_object();
  EXPECT_EQ(failure_text("ci", "gh_ci", 2, 2, a),
            "The gate 'ci' (gh_ci) failed (retry 2 of 2) at abc.\n"
            "Failing checks:\n"
            "- lint: timed_out\n"
            "  https://ci.example/lint\n");
}

TEST(FailureText, AChangesRequestedFailureQuotesTheReviewAndItsLineComments) {
  EXPECT_EQ(failure_text("review", "gh_review", 1, 2, review_failure()),
            "The gate 'review' (gh_review) failed (retry 1 of 2) at 6dcb09b.\n"
            "Changes requested by alice:\n"
            "  Please split the parser.\n"
            "  And add tests.\n"
            "Line comments:\n"
            "- src/a.cpp:12 (alice): off by one\n"
            "- src/b.cpp:3 (bob): why?\n"
            "  explain\n");
}

TEST(FailureText, LineCommentsThatCouldNotBeReadAreSaid) {
  auto a = review_failure();
  a.erase("comments");
  a["comments_error"] = "GitHub answered 502 for octo/app#1";
  std::string text = failure_text("review", "gh_review", 1, 2, a);
  EXPECT_NE(text.find("Changes requested by alice:\n  Please split the parser."), std::string::npos)
      << text;
  EXPECT_NE(text.find("The line comments could not be read: GitHub answered 502 for octo/app#1\n"),
            std::string::npos)
      << text;
}

TEST(FailureText, ADecisionWithoutReviewTextSaysChangesWereRequested) {
  json::object a{{"review_decision", "CHANGES_REQUESTED"}, {"reviewers", json::array{}}};
  EXPECT_EQ(failure_text("review", "gh_review", 1, 1, a),
            "The gate 'review' (gh_review) failed (retry 1 of 1).\n"
            "Changes were requested (GitHub gave no review text).\n");
}

TEST(FailureText, UntrustedTextLosesControlCharactersButKeepsNewlinesAndTabs) {
  EXPECT_EQ(prompt_text(std::string("a\0b\x1b[31mred\x07\r\n\tc\x7f\u0085d", 20), 100),
            "ab[31mred\n\tcd");
  auto a = ci_failure();
  auto &check = a["failed_checks"].as_array()[0].as_object();
  check["name"] = "unit\ntests\x1b]0;pwned\x07";
  check["title"] = "line one\nline two";
  std::string text = failure_text("ci", "gh_ci", 1, 3, a);
  EXPECT_NE(text.find("- unit tests]0;pwned: failure \u2014 line one line two\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(text.find('\x07'), std::string::npos);
}

TEST(FailureText, ALongSummaryIsCutAtACharacterBoundaryAndSaysHowMuchWasCut) {
  std::string summary;
  for (int i = 0; i < 1500; ++i) summary += "\u00e9";  // 3,000 bytes of two-byte characters
  std::string cut = prompt_text(summary, gk::kFailureMaxSummaryBytes);
  EXPECT_LE(cut.size(), gk::kFailureMaxSummaryBytes);
  EXPECT_GE(cut.size(), gk::kFailureMaxSummaryBytes - 30);
  const std::string kept = cut.substr(0, cut.find("\u2026["));
  EXPECT_EQ(kept.size() % 2, 0u) << "cut inside a character";
  EXPECT_EQ(cut.substr(kept.size()),
            "\u2026[" + std::to_string(3000 - kept.size()) + " bytes cut]");
  // Text within its bound comes back unchanged, so cutting twice is cutting once.
  EXPECT_EQ(prompt_text(cut, gk::kFailureMaxSummaryBytes), cut);
  auto a = ci_failure();
  a["failed_checks"].as_array()[0].as_object()["summary"] = summary;
  std::string text = failure_text("ci", "gh_ci", 1, 3, a);
  EXPECT_NE(text.find(" bytes cut]\n  https://ci.example/unit/77"), std::string::npos) << text;
}

TEST(FailureText, MoreThanTwentyFailingChecksListsTwentyAndCountsTheRest) {
  json::array checks;
  for (int i = 0; i < 23; ++i)
    checks.push_back({{"name", "check-" + std::to_string(i)}, {"conclusion", "failure"}});
  json::object a{{"head_sha", "abc"},
                 {"failed_checks", checks},
                 {"failed_checks_omitted", 7},
                 {"failed_statuses", json::array{}}};
  std::string text = failure_text("ci", "gh_ci", 1, 1, a);
  EXPECT_NE(text.find("- check-19: failure\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("check-20"), std::string::npos) << text;
  EXPECT_NE(text.find("- (10 more failing checks not shown)\n"), std::string::npos) << text;
}

TEST(FailureText, MoreThanFiftyLineCommentsListsFiftyAndCountsTheRest) {
  auto a = review_failure();
  json::array comments;
  for (int i = 0; i < 55; ++i)
    comments.push_back({{"user", "alice"},
                        {"path", "f.cpp"},
                        {"line", i + 1},
                        {"body", "nit " + std::to_string(i)}});
  a["comments"] = comments;
  a["comments_omitted"] = 100;
  std::string text = failure_text("review", "gh_review", 1, 1, a);
  EXPECT_NE(text.find("- f.cpp:50 (alice): nit 49\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("nit 50"), std::string::npos) << text;
  EXPECT_NE(text.find("- (105 more line comments not shown)\n"), std::string::npos) << text;
}

TEST(FailureText, TheWholeTextStaysWithinItsBound) {
  json::array checks;
  std::string huge(100'000, 'x');
  for (int i = 0; i < 40; ++i)
    checks.push_back(
        {{"name", huge}, {"conclusion", "failure"}, {"title", huge}, {"summary", huge}});
  json::object a{{"failed_checks", checks}};
  std::string text = failure_text("ci", "gh_ci", 1, 1, a);
  EXPECT_LE(text.size(), gk::kFailureMaxTextBytes);
  EXPECT_NE(text.find("more failing checks not shown"), std::string::npos);
  // Every piece is bounded on its own, so this one fits as a whole.
  EXPECT_EQ(text.find("bytes cut]", text.size() - 20), std::string::npos) << text.substr(0, 400);
  // JSON of any size is cut too.
  json::object big{{"log", huge}};
  std::string fallback = failure_text("bot", "centaur_review", 1, 1, big);
  EXPECT_LE(fallback.size(), gk::kFailureMaxTextBytes);
  EXPECT_NE(fallback.find(" bytes cut]"), std::string::npos);
}

TEST(FailureText, UnknownGateTypesAndUnknownArtifactsFallBackToTheJson) {
  json::object a{{"verdict", "reject"}, {"reason", "nope"}};
  EXPECT_EQ(failure_text("bot", "centaur_review", 1, 3, a),
            "The gate 'bot' (centaur_review) failed (retry 1 of 3): " + json::serialize(a));
  json::object timeout{{"reason", "timeout"}};
  EXPECT_EQ(failure_text("ci", "gh_ci", 1, 3, timeout),
            "The gate 'ci' (gh_ci) failed (retry 1 of 3): {\"reason\":\"timeout\"}");
  // A gh_ci gate resolved by a signal with its own artifacts.
  json::object signal{{"failed_checks", json::array{}}, {"note", "by hand"}};
  EXPECT_EQ(failure_text("ci", "gh_ci", 1, 1, signal),
            "The gate 'ci' (gh_ci) failed (retry 1 of 1): " + json::serialize(signal));
}

TEST(FailureText, ACompoundGateRendersEachPartThatHasAKnownShape) {
  json::object a{{"all.0", ci_failure()}, {"all.1", json::object{{"verdict", "reject"}}}};
  std::string text = failure_text("gates", "compound", 1, 2, a);
  EXPECT_TRUE(
      text.starts_with("The gate 'gates' (compound) failed (retry 1 of 2).\n"
                       "Part 'all.0' at 6dcb09b:\nFailing checks:\n"
                       "- unit-tests: failure \u2014 3 tests failed\n"))
      << text;
  EXPECT_NE(text.find("Part 'all.1': {\"verdict\":\"reject\"}\n"), std::string::npos) << text;
}
