// Goal templates: typed params, the goal id rule, and what the loader refuses in a template.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/goal_file.hpp"
#include "core/ids.hpp"

namespace gk {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

const char *kShepherd = R"(version: 1
defaults: {run: [./agent.sh]}
templates:
  - id: shepherd
    title: "Shepherd {{ params.repo }}#{{ params.pr }}"
    params:
      repo: {type: string, required: true, pattern: '[\w.-]+/[\w.-]+'}
      pr: {type: integer, required: true}
      method: {type: string, default: squash, enum: [merge, squash, rebase]}
      draft_ok: {type: boolean, default: false}
    tasks:
      - id: fix
        env: {METHOD: "{{ params.method }}"}
      - id: ci
        wait_for: {type: gh_ci, repo: "{{ params.repo }}", pr: "{{ params.pr }}"}
)";

GoalTemplate shepherd() {
  GoalFile f = read_goal_file(kShepherd, "t.yaml", nullptr);
  EXPECT_TRUE(f.goals.empty());
  EXPECT_EQ(f.templates.size(), 1u);
  return f.templates.at(0);
}

std::string error_of(const std::function<void()> &f) {
  try {
    f();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), Errc::invalid);
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return {};
}

std::string load_error(const std::string &yaml) {
  return error_of([&] { read_goal_file(yaml, "t.yaml", nullptr); });
}

TEST(GoalTemplates, ParamsAreCheckedConvertedAndDefaulted) {
  GoalTemplate t = shepherd();
  json::object p = resolve_params(t, {{"repo", "acme/shop"}, {"pr", "11"}});
  EXPECT_EQ(p.at("pr"), json::value(11));  // a string from a command line becomes the integer
  EXPECT_EQ(p.at("method"), json::value("squash"));
  EXPECT_EQ(p.at("draft_ok"), json::value(false));
  EXPECT_EQ(resolve_params(t, {{"repo", "a/b"}, {"pr", 2}, {"draft_ok", "true"}}).at("draft_ok"),
            json::value(true));

  auto fails = [&](json::object given) { return error_of([&] { resolve_params(t, given); }); };
  EXPECT_EQ(fails({{"pr", 1}}), "template 'shepherd': param 'repo' is required (string)");
  EXPECT_EQ(fails({{"repo", "a/b"}, {"pr", "abc"}}),
            "template 'shepherd': param 'pr': expected an integer, found 'abc'");
  EXPECT_THAT(fails({{"repo", "not a repo"}, {"pr", 1}}),
              HasSubstr("param 'repo': value 'not a repo' does not match the pattern"));
  EXPECT_THAT(fails({{"repo", "a/b"}, {"pr", 1}, {"method", "ff"}}),
              HasSubstr("param 'method': expected one of 'merge', 'squash', 'rebase', found 'ff'"));
  EXPECT_THAT(fails({{"repo", "a/b"}, {"pr", 1}, {"prr", 1}}),
              HasSubstr("no param 'prr'; its params: repo, pr, method, draft_ok"));
  EXPECT_THAT(fails({{"repo", "a/b"}, {"pr", 1}, {"draft_ok", "yes"}}),
              HasSubstr("expected true or false, found 'yes'"));
}

TEST(GoalTemplates, TheGoalIdNamesTheRepositoryAndNumberAndHashesTheOwner) {
  GoalTemplate t = shepherd();
  auto id = [&](json::object given) { return instance_goal_id(t, resolve_params(t, given)); };
  std::string a = id({{"repo", "acme/shop"}, {"pr", 11}});
  EXPECT_THAT(a, MatchesRegex("shepherd-shop-11-[0-9a-f]{6}"));
  // Optional params tune the goal; they do not name another one.
  EXPECT_EQ(id({{"repo", "acme/shop"}, {"pr", 11}, {"method", "rebase"}}), a);
  EXPECT_TRUE(is_valid_id(a));
  EXPECT_EQ(id({{"repo", "ACME/Shop"}, {"pr", "11"}}), a);  // GitHub ignores case; so do we
  EXPECT_NE(id({{"repo", "other/shop"}, {"pr", 11}}), a);   // same name, another owner
  EXPECT_NE(id({{"repo", "acme/shop"}, {"pr", 12}}), a);
  std::string long_one = id({{"repo", "acme/" + std::string(200, 'x')}, {"pr", 123456}});
  EXPECT_TRUE(is_valid_id(long_one)) << long_one;
  EXPECT_EQ(long_one.size(), kMaxIdLength);
  EXPECT_NE(long_one, id({{"repo", "acme/" + std::string(201, 'x')}, {"pr", 123456}}));
}

TEST(GoalTemplates, AGoalMadeFromATemplateHoldsItsParamsAndRenderedTitle) {
  GoalDef g = instantiate(shepherd(), {{"repo", "acme/shop"}, {"pr", 11}});
  EXPECT_EQ(g.template_id, "shepherd");
  EXPECT_EQ(g.title, "Shepherd acme/shop#11");
  EXPECT_EQ(g.params.at("pr"), json::value(11));
  ASSERT_EQ(g.root.tasks.size(), 2u);
  EXPECT_EQ(g.root.tasks[0].run, std::vector<std::string>{"./agent.sh"});  // the file's defaults
  EXPECT_EQ(g.root.tasks[0].env.at("METHOD"), "{{ params.method }}");
}

TEST(GoalTemplates, AGoalsEntryMakesItsGoalFromATemplate) {
  std::string yaml = std::string(kShepherd) +
                     "goals:\n  - {template: shepherd, params: {repo: acme/shop, pr: 11}}\n";
  GoalFile f = read_goal_file(yaml, "t.yaml", nullptr);
  ASSERT_EQ(f.goals.size(), 1u);
  EXPECT_EQ(f.goals[0].id, instance_goal_id(f.templates[0], f.goals[0].params));
  EXPECT_EQ(f.goals[0].source, "t.yaml");

  EXPECT_THAT(load_error(std::string(kShepherd) + "goals:\n  - {template: shepherdd}\n"),
              HasSubstr("t.yaml:17:16: goals[0].template: no template 'shepherdd' (did you mean "
                        "'shepherd'?)"));
  EXPECT_THAT(load_error(std::string(kShepherd) +
                         "goals:\n  - {template: shepherd, params: {repo: a/b, pr: x}}\n"),
              HasSubstr("goals[0].params: template 'shepherd': param 'pr': expected an integer"));
  EXPECT_THAT(load_error(std::string(kShepherd) + "goals:\n  - {template: shepherd, id: x}\n"),
              HasSubstr("key 'id' is not allowed in a goal made from a template"));
}

TEST(GoalTemplates, ATemplateIsCheckedWhereItIsWritten) {
  std::string head = "version: 1\ndefaults: {run: [a]}\ntemplates:\n  - id: t\n";
  EXPECT_THAT(load_error(head + "    params: {x: {type: string}}\n"
                                "    tasks:\n      - {id: a, env: {X: '{{ params.y }}'}}\n"),
              HasSubstr("t.yaml:7:26: templates[0].tasks[0].env.X: expression {{ params.y }}: "
                        "template 't' has no param 'y'; its params: x"));
  EXPECT_THAT(load_error(head + "    params: {x: {type: float}}\n    tasks: [{id: a}]\n"),
              HasSubstr("templates[0].params.x.type: expected one of string, integer, boolean"));
  EXPECT_THAT(load_error(head + "    params: {x: {type: string, pattern: '('}}\n"
                                "    tasks: [{id: a}]\n"),
              HasSubstr("templates[0].params.x.pattern: not a valid regular expression"));
  EXPECT_THAT(load_error(head + "    params: {x: {type: integer, default: abc}}\n"
                                "    tasks: [{id: a}]\n"),
              HasSubstr("templates[0].params.x.default: expected an integer, found 'abc'"));
  EXPECT_THAT(load_error(head + "    params: {x: {type: string, enum: [a], default: b}}\n"
                                "    tasks: [{id: a}]\n"),
              HasSubstr("expected one of 'a', found 'b'"));
  EXPECT_THAT(load_error(head + "    title: '{{ tasks.a.summary }}'\n    tasks: [{id: a}]\n"),
              HasSubstr("templates[0].title: expression {{ tasks.a.summary }}: a template's title "
                        "and description may name only its params"));
  EXPECT_THAT(load_error(head + "    tasks: [{id: a}]\n  - id: t\n    tasks: [{id: a}]\n"),
              HasSubstr("templates[1]: duplicate template id 't'"));
  EXPECT_THAT(load_error(head + "    params: {2x: {type: string}}\n    tasks: [{id: a}]\n"),
              HasSubstr("invalid param name"));
}

TEST(GoalTemplates, ImportsAreReadThroughTheReaderAndHoldTemplatesOnly) {
  const std::string lib = std::string(kShepherd);
  std::vector<std::string> asked;
  ImportReader reader = [&](const std::string &path) {
    asked.push_back(path);
    if (path == "lib.yaml") return lib;
    if (path == "goals.yaml")
      return std::string("version: 1\ngoals: [{id: g, tasks: [{id: a}]}]\n");
    fail(Errc::invalid, "cannot import '" + path + "': no such file");
  };
  GoalFile f = read_goal_file(
      "version: 1\nimports: [lib.yaml]\n"
      "goals:\n  - {template: shepherd, params: {repo: acme/shop, pr: 3}}\n",
      "main.yaml", reader);
  EXPECT_EQ(asked, std::vector<std::string>{"lib.yaml"});
  ASSERT_EQ(f.templates.size(), 1u);
  EXPECT_EQ(f.templates[0].source, "main.yaml");  // its goals are driven with main.yaml's
  ASSERT_EQ(f.goals.size(), 1u);
  EXPECT_EQ(f.goals[0].root.tasks[0].run, std::vector<std::string>{"./agent.sh"});  // lib's

  auto err = [&](const std::string &yaml) {
    return error_of([&] { read_goal_file(yaml, "main.yaml", reader); });
  };
  EXPECT_THAT(err("version: 1\nimports: [nope.yaml]\n"),
              HasSubstr("main.yaml:2:11: imports[0]: cannot import 'nope.yaml': no such file"));
  EXPECT_THAT(err("version: 1\nimports: [goals.yaml]\n"),
              HasSubstr("imports[0]: in the imported file: goals.yaml:2:1: goals: unknown key "
                        "'goals' in an imported file"));
  EXPECT_THAT(err("version: 1\nimports: [lib.yaml, lib.yaml]\n"),
              HasSubstr("imports[1]: imported twice"));
  EXPECT_THAT(err("version: 1\nimports: [lib.yaml]\ntemplates:\n  - {id: shepherd, tasks: [{id: "
                  "a, run: [x]}]}\n"),
              HasSubstr("templates[0]: duplicate template id 'shepherd' (also defined in "
                        "lib.yaml)"));
}

}  // namespace
}  // namespace gk
