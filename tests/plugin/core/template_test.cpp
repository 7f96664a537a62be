#include "core/template.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.hpp"

namespace gk {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using Kind = TemplateRef::Kind;

struct FakeLookup : TemplateLookup {
  json::value params = json::parse(R"({"repo": "acme/web", "n": 3, "nested": {"a": [1, "x"]}})");
  json::value artifacts = json::parse(
      R"({"implement": {"pr": 42, "url": "https://x/1", "ok": true, "meta": {"k": [1, 2]}}})");

  const json::value *param(const std::vector<std::string> &path) const override {
    return find_json_path(params, path);
  }
  const json::value *artifact(std::string_view task_id,
                              const std::vector<std::string> &path) const override {
    const json::value *task = artifacts.as_object().if_contains(task_id);
    return task ? find_json_path(*task, path) : nullptr;
  }
  std::optional<std::string> summary(std::string_view task_id) const override {
    if (task_id == "plan") return "the plan";
    return std::nullopt;
  }
  std::optional<std::string> builtin(std::string_view root, std::string_view field) const override {
    if (root == "goal" && field == "id") return "G";
    if (root == "task" && field == "attempt") return "2";
    return std::nullopt;
  }
};

std::string parse_error(std::string_view text) {
  try {
    parse_template(text);
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), Errc::invalid);
    return e.what();
  }
  ADD_FAILURE() << "no error for " << text;
  return {};
}

std::string render_error(std::string_view text) {
  try {
    render_template(text, FakeLookup{});
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), Errc::invalid);
    return e.what();
  }
  ADD_FAILURE() << "no error for " << text;
  return {};
}

TEST(Template, ParsesEveryReferenceKind) {
  auto refs = parse_template(
      "{{ params.repo }} {{tasks.impl.artifacts.pr.url}} {{ tasks.plan.summary }} "
      "{{goal.id}} {{ task.attempt }}");
  ASSERT_EQ(refs.size(), 5u);
  EXPECT_EQ(refs[0].kind, Kind::param);
  EXPECT_EQ(refs[0].path, std::vector<std::string>{"repo"});
  EXPECT_EQ(refs[1].kind, Kind::artifact);
  EXPECT_EQ(refs[1].task_id, "impl");
  EXPECT_EQ(refs[1].path, (std::vector<std::string>{"pr", "url"}));
  EXPECT_EQ(refs[2].kind, Kind::summary);
  EXPECT_EQ(refs[2].task_id, "plan");
  EXPECT_EQ(refs[3].kind, Kind::goal);
  EXPECT_EQ(refs[3].path, std::vector<std::string>{"id"});
  EXPECT_EQ(refs[4].kind, Kind::task);
  EXPECT_EQ(refs[4].path, std::vector<std::string>{"attempt"});
  EXPECT_EQ(to_string(refs[1]), "tasks.impl.artifacts.pr.url");
}

TEST(Template, TextWithoutBracesHasNoReferences) {
  EXPECT_TRUE(parse_template("plain text } } {x}").empty());
  EXPECT_FALSE(has_template("a } b"));
  EXPECT_TRUE(has_template("a {{ b"));
}

TEST(Template, TaskIdsMayContainDots) {
  auto refs = parse_template("{{ tasks.v1.2.artifacts.pr }}{{ tasks.v1.2.summary }}");
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0].task_id, "v1.2");
  EXPECT_EQ(refs[0].path, std::vector<std::string>{"pr"});
  EXPECT_EQ(refs[1].task_id, "v1.2");
}

TEST(Template, UnclosedBracesSayWhatWasExpected) {
  EXPECT_THAT(parse_error("run {{ params.repo"), HasSubstr("expected '}}'"));
  EXPECT_THAT(parse_error("run {{ params.repo"), HasSubstr("found the end of the text"));
}

TEST(Template, EmptyExpressionIsRejected) {
  EXPECT_THAT(parse_error("{{ }}"), HasSubstr("empty expression"));
  EXPECT_THAT(parse_error("{{}}"), HasSubstr("expected params.<key>"));
}

TEST(Template, UnknownRootNamesRootAndChoices) {
  std::string e = parse_error("{{ param.repo }}");
  EXPECT_THAT(e, HasSubstr("unknown root 'param'"));
  EXPECT_THAT(e, HasSubstr("expected params.<key>"));
}

TEST(Template, BadFieldsAndShapesAreRejected) {
  EXPECT_THAT(parse_error("{{ goal.attempt }}"), HasSubstr("expected goal.id or goal.title"));
  EXPECT_THAT(parse_error("{{ task.nope }}"), HasSubstr("found 'task.nope'"));
  EXPECT_THAT(parse_error("{{ params }}"), HasSubstr("expected params.<key>"));
  EXPECT_THAT(parse_error("{{ tasks.x.result }}"),
              HasSubstr("expected tasks.<id>.artifacts.<key> or tasks.<id>.summary"));
  EXPECT_THAT(parse_error("{{ tasks.x.artifacts }}"), HasSubstr("tasks.<id>.artifacts.<key>"));
  EXPECT_THAT(parse_error("{{ params..repo }}"), HasSubstr("expected a name after '.'"));
  EXPECT_THAT(parse_error("{{ params.re po }}"), HasSubstr("found ' '"));
  EXPECT_THAT(parse_error("{{ tasks._x.summary }}"), HasSubstr("invalid id '_x'"));
}

TEST(Template, RendersStringsRawAndOtherValuesAsJson) {
  FakeLookup l;
  EXPECT_EQ(render_template("repo={{ params.repo }} n={{params.n}}", l), "repo=acme/web n=3");
  EXPECT_EQ(render_template("{{ tasks.implement.artifacts.ok }}", l), "true");
  EXPECT_EQ(render_template("{{ tasks.implement.artifacts.meta }}", l), R"({"k":[1,2]})");
  EXPECT_EQ(render_template("{{ params.nested.a.1 }}", l), "x");
  EXPECT_EQ(render_template("{{ tasks.plan.summary }}/{{ goal.id }}#{{ task.attempt }}", l),
            "the plan/G#2");
  EXPECT_EQ(render_template("no templates {here}", l), "no templates {here}");
}

TEST(Template, MissingValuesNameExactlyWhatIsMissing) {
  EXPECT_EQ(render_error("x {{ tasks.implement.artifacts.pr_url }}"),
            "expression {{ tasks.implement.artifacts.pr_url }}: tasks.implement has no artifact "
            "'pr_url'");
  EXPECT_EQ(render_error("{{tasks.other.artifacts.pr.number}}"),
            "expression {{ tasks.other.artifacts.pr.number }}: tasks.other has no artifact "
            "'pr.number'");
  EXPECT_EQ(render_error("{{ params.branch }}"),
            "expression {{ params.branch }}: params has no key 'branch'");
  EXPECT_EQ(render_error("{{ tasks.impl.summary }}"),
            "expression {{ tasks.impl.summary }}: tasks.impl has no summary");
  EXPECT_THAT(render_error("{{ task.title }}"), HasSubstr("task.title has no value"));
}

TEST(Template, JsonRenderingKeepsTheTypeOfALoneReference) {
  FakeLookup l;
  json::value gate = json::parse(R"({"type": "gh_ci", "repo": "{{ params.repo }}",
      "pr": "{{ tasks.implement.artifacts.pr }}", "label": "PR {{ tasks.implement.artifacts.pr }}",
      "checks": ["{{params.n}}", "lint"], "{{ params.repo }}": 1, "n": 7})");
  json::value out = render_json_templates(gate, l);
  EXPECT_EQ(out, json::parse(R"({"type": "gh_ci", "repo": "acme/web", "pr": 42,
      "label": "PR 42", "checks": [3, "lint"], "{{ params.repo }}": 1, "n": 7})"));
}

TEST(Template, JsonRenderingReportsMissingValues) {
  FakeLookup l;
  json::value v = json::parse(R"({"pr": "{{ tasks.implement.artifacts.number }}"})");
  try {
    render_json_templates(v, l);
    FAIL() << "no error";
  } catch (const Error &e) {
    EXPECT_THAT(e.what(), HasSubstr("tasks.implement has no artifact 'number'"));
  }
}

TEST(Template, FindJsonPathFollowsObjectsAndArrayIndexes) {
  json::value v = json::parse(R"({"a": {"b": [10, {"c": "x"}]}})");
  EXPECT_EQ(*find_json_path(v, {"a", "b", "1", "c"}), json::value("x"));
  EXPECT_EQ(find_json_path(v, {"a", "b", "2"}), nullptr);
  EXPECT_EQ(find_json_path(v, {"a", "b", "x"}), nullptr);
  EXPECT_EQ(find_json_path(v, {"a", "b", "0", "z"}), nullptr);
  EXPECT_EQ(find_json_path(v, {}), &v);
  const json::object &o = v.as_object();
  EXPECT_EQ(find_json_path(o, {"a", "b", "0"}), &v.at("a").at("b").at(0));
  EXPECT_EQ(find_json_path(o, {}), nullptr);
  EXPECT_EQ(find_json_path(o, {"z"}), nullptr);
}

}  // namespace
}  // namespace gk
