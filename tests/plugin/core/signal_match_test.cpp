#include "core/signal_match.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace json = boost::json;
using namespace gk;

namespace {

SignalQuery signal(const char *text) {
  return parse_signal(json::parse(text).as_object());
}
json::object leaf(const char *text) {
  return json::parse(text).as_object();
}

}  // namespace

TEST(SignalMatch, PrUrlParsesWebAndApiUrlsToLowerCaseRepoAndNumber) {
  auto web = parse_pr_url("https://github.com/Acme/Web/pull/12");
  ASSERT_TRUE(web);
  EXPECT_EQ(web->first, "acme/web");
  EXPECT_EQ(web->second, 12);
  auto api = parse_pr_url("https://ghe.example.com/api/v3/repos/acme/web/pulls/9?x=1");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->first, "acme/web");
  EXPECT_EQ(api->second, 9);
  EXPECT_FALSE(parse_pr_url("https://github.com/acme/web/issues/12"));
  EXPECT_FALSE(parse_pr_url("not a url"));
}

TEST(SignalMatch, EveryGateTypeHasAMatchingRule) {
  EXPECT_TRUE(leaf_matches(leaf(R"({"type":"gh_ci","repo":"A/B","pr":3})"),
                           signal(R"({"type":"gh_ci","repo":"a/b","pr":3,"status":"pass"})")));
  EXPECT_TRUE(leaf_matches(leaf(R"({"type":"gh_ci","repo":"a/b","sha":"ABC"})"),
                           signal(R"({"type":"gh_ci","sha":"abc","status":"pass"})")));
  EXPECT_TRUE(leaf_matches(leaf(R"({"type":"gh_review","repo":"a/b","pr":"3"})"),
                           signal(R"({"type":"gh_review","repo":"a/b","pr":3,"status":"fail"})")));
  EXPECT_TRUE(leaf_matches(
      leaf(R"({"type":"centaur_review","pr_url":"https://github.com/a/b/pull/3"})"),
      signal(
          R"({"type":"centaur_review","pr_url":"https://github.com/A/B/pull/3","status":"pass"})")));
  EXPECT_TRUE(leaf_matches(leaf(R"({"type":"human_approval","key":"k"})"),
                           signal(R"({"type":"human_approval","key":"k","status":"pass"})")));
  EXPECT_TRUE(
      leaf_matches(leaf(R"({"type":"human_approval","repo":"a/b","pr":3})"),
                   signal(R"({"type":"human_approval","repo":"a/b","pr":3,"status":"pass"})")));
}

TEST(SignalMatch, TypeRepoPrAndKeyMustAllAgree) {
  auto q = signal(R"({"type":"gh_ci","repo":"a/b","pr":3,"status":"pass"})");
  EXPECT_FALSE(leaf_matches(leaf(R"({"type":"gh_review","repo":"a/b","pr":3})"), q));
  EXPECT_FALSE(leaf_matches(leaf(R"({"type":"gh_ci","repo":"a/c","pr":3})"), q));
  EXPECT_FALSE(leaf_matches(leaf(R"({"type":"gh_ci","repo":"a/b","pr":4})"), q));
  EXPECT_FALSE(leaf_matches(leaf(R"({"type":"human_approval","key":"k"})"),
                            signal(R"({"type":"human_approval","key":"j","status":"pass"})")));
  // A keyed approval is not resolved by a signal for some other PR's approval.
  EXPECT_FALSE(
      leaf_matches(leaf(R"({"type":"human_approval","key":"k"})"),
                   signal(R"({"type":"human_approval","repo":"a/b","pr":3,"status":"pass"})")));
}

TEST(SignalMatch, ParseRejectsUnknownTypesBadStatusAndSignalsThatNameNothing) {
  EXPECT_THROW(signal(R"({"type":"compound","key":"k","status":"pass"})"), Error);
  EXPECT_THROW(signal(R"({"type":"gh_ci","repo":"a/b","pr":3,"status":"ok"})"), Error);
  EXPECT_THROW(signal(R"({"type":"gh_ci","repo":"a/b","status":"pass"})"), Error);
  EXPECT_THROW(signal(R"({"type":"gh_ci","pr":"x","repo":"a/b","status":"pass"})"), Error);
  EXPECT_THROW(
      signal(
          R"({"type":"gh_ci","pr_url":"https://github.com/a/b/pull/1","repo":"c/d","status":"pass"})"),
      Error);
}

TEST(SignalMatch, CompoundVerdictsFollowAllAndAny) {
  auto config = leaf(R"({"type":"compound","all":[{"type":"human_approval","key":"a"},
      {"type":"compound","any":[{"type":"gh_ci","repo":"a/b","pr":1},{"type":"human_approval","key":"b"}]}]})");
  auto leaves = gate_leaves(config);
  ASSERT_EQ(leaves.size(), 3u);
  EXPECT_EQ(leaves[0].path, "all.0");
  EXPECT_EQ(leaves[1].path, "all.1.any.0");
  EXPECT_EQ(leaves[2].path, "all.1.any.1");
  json::object parts;
  EXPECT_EQ(evaluate_gate(config, parts), Verdict::wait);
  parts["all.0"] = {{"status", "pass"}};
  parts["all.1.any.0"] = {{"status", "fail"}};
  EXPECT_EQ(evaluate_gate(config, parts), Verdict::wait);
  parts["all.1.any.1"] = {{"status", "pass"}};
  EXPECT_EQ(evaluate_gate(config, parts), Verdict::pass);
  parts["all.1.any.1"] = {{"status", "fail"}};
  EXPECT_EQ(evaluate_gate(config, parts), Verdict::fail);
}
