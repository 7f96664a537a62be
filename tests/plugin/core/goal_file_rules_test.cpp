// Input that validates must run, input that cannot run must not validate: the rules the loader
// applies beyond syntax (templates in commands, the order templates read in, ids that become
// branch names, bytes that are not text, nesting, the ranges of numbers).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "core/error.hpp"
#include "core/goal_file.hpp"
#include "core/ids.hpp"

namespace gk {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string load_error(const std::string &yaml) {
  try {
    parse_goal_file(yaml, "g.yaml");
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), Errc::invalid);
    return e.what();
  }
  ADD_FAILURE() << "loaded without error:\n" << yaml;
  return {};
}

void loads(const std::string &yaml) {
  try {
    parse_goal_file(yaml, "g.yaml");
  } catch (const Error &e) {
    ADD_FAILURE() << e.what() << "\n" << yaml;
  }
}

std::string with_tasks(const std::string &tasks, const std::string &extra = "") {
  return "version: 1\n"
         "defaults: {run: [./agent.sh]}\n"
         "goals:\n"
         "  - id: g\n"
         "    params: {repo: acme/web}\n" +
         extra + "    tasks:\n" + tasks;
}

// --- what a goal produces never goes into a command ------------------------------------------

TEST(TemplatesInRun, ArtifactsAndSummariesAreRefusedWithTheFix) {
  std::string e = load_error(
      with_tasks("      - {id: producer}\n"
                 "      - {id: use, run: [sh, -c, 'echo {{ tasks.producer.artifacts.pr }}']}\n"));
  EXPECT_THAT(e, StartsWith("g.yaml:8:33: goals[0].tasks[1].run[2]: expression {{ "
                            "tasks.producer.artifacts.pr }}: a value produced while the goal "
                            "runs"));
  EXPECT_THAT(e, HasSubstr("env: {PR: \"{{ tasks.producer.artifacts.pr }}\"}"));
  EXPECT_THAT(e, HasSubstr("use \"$PR\" in the command"));
  // Even as a whole argument: after sh -c an argument is still code.
  EXPECT_THAT(load_error(with_tasks("      - {id: producer}\n"
                                    "      - {id: use, run: [sh, -c, '{{ tasks.producer.summary "
                                    "}}']}\n")),
              HasSubstr("never goes into run"));
  // In defaults and on the goal too.
  EXPECT_THAT(load_error("version: 1\n"
                         "defaults: {run: [./agent.sh, '{{ tasks.a.summary }}']}\n"
                         "goals:\n  - {id: g, tasks: [{id: a}]}\n"),
              HasSubstr("defaults.run[1]: expression {{ tasks.a.summary }}: a value produced"));
}

TEST(TemplatesInRun, ValuesTheGoalFileFixesMayStay) {
  loads(with_tasks(
      "      - {id: a, run: [sh, -c, 'echo {{ task.id }} {{ goal.id }} {{ params.repo }} "
      "{{ task.attempt }}']}\n"));
}

TEST(TemplatesInRun, EnvAndPromptCarryProducedValuesAsData) {
  loads(
      with_tasks("      - {id: producer}\n"
                 "      - {id: use, env: {PR: '{{ tasks.producer.artifacts.pr }}'},\n"
                 "         prompt: 'Fix {{ tasks.producer.summary }}', run: [sh, -c, 'echo "
                 "\"$PR\"']}\n"));
}

// --- a template reads only what finished before its task starts ------------------------------

TEST(TemplateOrder, ATaskThatRunsLaterCannotBeRead) {
  std::string e =
      load_error(with_tasks("      - {id: t1}\n"
                            "      - {id: t2, prompt: '{{ tasks.t3.summary }}'}\n"
                            "      - {id: t3}\n"));
  EXPECT_THAT(e, StartsWith("g.yaml:8:26: goals[0].tasks[1].prompt: expression {{ "
                            "tasks.t3.summary }}: 't3' does not finish before 't2' starts"));
  EXPECT_THAT(e, HasSubstr("needs: [t3]"));
}

TEST(TemplateOrder, NeedsMakesALaterTaskReadable) {
  loads(
      with_tasks("      - {id: t2, needs: [t3], prompt: '{{ tasks.t3.summary }}'}\n"
                 "      - {id: t3, needs: []}\n"));
  // And through a chain of needs.
  loads(
      with_tasks("      - {id: t1, needs: [t2], env: {X: '{{ tasks.t3.artifacts.x }}'}}\n"
                 "      - {id: t2, needs: [t3]}\n"
                 "      - {id: t3, needs: []}\n"));
}

TEST(TemplateOrder, ParallelSiblingsCannotReadEachOther) {
  EXPECT_THAT(load_error(with_tasks("      - id: p\n"
                                    "        parallel: true\n"
                                    "        tasks:\n"
                                    "          - {id: a}\n"
                                    "          - {id: b, prompt: '{{ tasks.a.summary }}'}\n")),
              HasSubstr("'a' does not finish before 'b' starts"));
}

TEST(TemplateOrder, PriorityDecidesRunOrderNotTheFile) {
  // b comes first in the file but a runs first: its priority is higher.
  loads(
      with_tasks("      - {id: b, prompt: '{{ tasks.a.summary }}'}\n"
                 "      - {id: a, priority: 5}\n"));
  EXPECT_THAT(load_error(with_tasks("      - {id: a, prompt: '{{ tasks.b.summary }}'}\n"
                                    "      - {id: b, priority: -1}\n")),
              HasSubstr("'b' does not finish before 'a' starts"));
}

TEST(TemplateOrder, TasksInsideAnEarlierSiblingAndOfOuterLevelsAreReadable) {
  loads(
      with_tasks("      - {id: p, tasks: [{id: deep}]}\n"
                 "      - id: q\n"
                 "        tasks:\n"
                 "          - {id: x, prompt: '{{ tasks.deep.summary }}'}\n"));
}

TEST(TemplateOrder, ATaskCannotReadItselfOrWhatContainsIt) {
  EXPECT_THAT(load_error(with_tasks("      - {id: a, prompt: '{{ tasks.a.summary }}'}\n")),
              HasSubstr("a task cannot read its own summary"));
  EXPECT_THAT(load_error(with_tasks("      - id: p\n"
                                    "        tasks:\n"
                                    "          - {id: x, prompt: '{{ tasks.p.summary }}'}\n")),
              HasSubstr("'x' is inside 'p'"));
  // Written on a parent, it applies to the children: the child read is one of them.
  EXPECT_THAT(load_error(with_tasks("      - id: p\n"
                                    "        env: {X: '{{ tasks.c1.summary }}'}\n"
                                    "        tasks: [{id: c1}, {id: c2}]\n")),
              HasSubstr("'c1' is inside 'p'"));
}

TEST(TemplateOrder, GoalLevelTemplatesCannotReadTasks) {
  EXPECT_THAT(
      load_error(with_tasks("      - {id: a}\n", "    env: {X: '{{ tasks.a.summary }}'}\n")),
      HasSubstr("written on the goal or in defaults, it applies to every task of the "
                "goal, 'a' included"));
}

TEST(TemplateOrder, GatesReadTheAgentBeforeThem) {
  loads(
      with_tasks("      - {id: implement}\n"
                 "      - {id: ci, wait_for: {type: gh_ci, repo: a/b, pr: '{{ "
                 "tasks.implement.artifacts.pr }}'}}\n"));
  EXPECT_THAT(load_error(with_tasks("      - {id: ci, wait_for: {type: gh_ci, repo: a/b, pr: '{{ "
                                    "tasks.implement.artifacts.pr }}'}}\n"
                                    "      - {id: implement}\n")),
              HasSubstr("'implement' does not finish before 'ci' starts"));
}

// --- subtasks a job returns ----------------------------------------------------------------

struct Subtasks : ::testing::Test {
  GoalDef goal = parse_goal_file(with_tasks("      - {id: first}\n"
                                            "      - {id: parent}\n"
                                            "      - {id: last}\n"),
                                 "g.yaml")
                     .at(0);
  TaskDef parent = goal.root.tasks[1];
  std::function<bool(std::string_view)> taken = [](std::string_view id) {
    return id == "first" || id == "parent" || id == "last" || id == "g";
  };
  std::function<bool(std::string_view)> ran_before = [](std::string_view id) {
    return id == "first";
  };
  std::string error(const char *text) {
    try {
      parse_subtasks(json::parse(text), goal, parent, "result of g/parent#1", taken, ran_before, 1);
    } catch (const Error &e) {
      return e.what();
    }
    ADD_FAILURE() << "no error for " << text;
    return {};
  }
  void ok(const char *text) {
    try {
      parse_subtasks(json::parse(text), goal, parent, "result of g/parent#1", taken, ran_before, 1);
    } catch (const Error &e) {
      ADD_FAILURE() << e.what();
    }
  }
};

TEST_F(Subtasks, ReadTheirParentTasksThatRanBeforeAndEarlierSubtasks) {
  ok(R"([{"id": "s1", "prompt": "{{ tasks.parent.summary }} {{ tasks.first.artifacts.x }}"},
         {"id": "s2", "env": {"A": "{{ tasks.s1.summary }}"}}])");
}

TEST_F(Subtasks, DoNotReadTasksThatRunAfterTheirParent) {
  EXPECT_THAT(error(R"([{"id": "s1", "prompt": "{{ tasks.last.summary }}"}])"),
              HasSubstr("task 'last' does not finish before the job that added 'parent''s "
                        "subtasks ran"));
  EXPECT_THAT(error(R"([{"id": "s1", "prompt": "{{ tasks.s2.summary }}"}, {"id": "s2"}])"),
              HasSubstr("'s2' does not finish before 's1' starts"));
}

TEST_F(Subtasks, NeverPutTheirTitleOrProducedValuesIntoACommand) {
  parent.run = {"sh", "-c", "echo {{ task.title }}"};
  EXPECT_THAT(error(R"([{"id": "s1", "title": "x; rm -rf ~"}])"),
              HasSubstr("task 's1': its run puts {{ task.title }} into a command"));
  parent.run = {"./agent.sh"};
  EXPECT_THAT(error(R"([{"id": "s1", "run": ["sh", "-c", "{{ tasks.first.summary }}"]}])"),
              HasSubstr("never goes into run"));
}

TEST_F(Subtasks, StayWithinTheDepthLimit) {
  EXPECT_THAT(
      [&] {
        try {
          parse_subtasks(json::parse(R"([{"id": "s1", "tasks": [{"id": "s2"}]}])"), goal, parent,
                         "result of g/parent#1", taken, ran_before, 31);
        } catch (const Error &e) {
          return std::string(e.what());
        }
        return std::string();
      }(),
      HasSubstr("tasks nested more than 32 levels deep"));
}

// --- tasks that would wait for each other forever ---------------------------------------------

TEST(WaitCycles, NeedingALaterSiblingThatWaitsForYouIsRefused) {
  // c has no needs: under a sequential parent it waits for a and b, and a waits for c.
  std::string e =
      load_error(with_tasks("      - {id: a, needs: [c]}\n"
                            "      - {id: b}\n"
                            "      - {id: c}\n"));
  EXPECT_THAT(e, StartsWith("g.yaml:7:"));
  EXPECT_THAT(e, HasSubstr("goals[0].tasks[0].needs: the tasks wait for each other: a -> c -> a"));
  EXPECT_THAT(e, HasSubstr("under a sequential parent a task without needs waits for every task "
                           "before it"));
  // Through a chain of needs too.
  EXPECT_THAT(load_error(with_tasks("      - {id: a, needs: [b]}\n"
                                    "      - {id: b, needs: [c]}\n"
                                    "      - {id: c}\n")),
              HasSubstr("wait for each other"));
}

TEST(WaitCycles, ALaterSiblingWithNeedsOfItsOwnIsFine) {
  loads(
      with_tasks("      - {id: a, needs: [c]}\n"
                 "      - {id: b}\n"
                 "      - {id: c, needs: []}\n"));
  // Parallel parents have no implicit order.
  loads(
      with_tasks("      - id: p\n"
                 "        parallel: true\n"
                 "        tasks: [{id: a, needs: [c]}, {id: b}, {id: c}]\n"));
  // Priority decides what comes first: c runs before a here.
  loads(
      with_tasks("      - {id: a, needs: [c]}\n"
                 "      - {id: c, priority: 1}\n"));
}

// --- ids become branch names -----------------------------------------------------------------

TEST(Ids, IdsThatGitRefusesInABranchNameAreRefused) {
  for (const char *bad : {"t.lock", "t.", "a..b"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(is_valid_id(bad));
    EXPECT_THAT(id_error(bad), HasSubstr("which git does not allow in a branch name"));
    EXPECT_THAT(load_error(with_tasks(std::string("      - {id: '") + bad + "'}\n")),
                HasSubstr("git does not allow"));
  }
  EXPECT_THAT(load_error("version: 1\ndefaults: {run: [x]}\ngoals:\n  - {id: g.lock, tasks: [{id: "
                         "a}]}\n"),
              HasSubstr("goals[0].id: invalid id 'g.lock': it ends with '.lock'"));
  for (const char *good : {"t.lockfile", "v1.2", "a.b-c_d"}) EXPECT_TRUE(is_valid_id(good)) << good;
}

// --- bytes that are not text, nesting, depth ---------------------------------------------------

TEST(GoalText, ANulByteIsRefusedWhereItIs) {
  std::string text = with_tasks("      - {id: a}\n");
  text.insert(text.find("- {id: a}") + 2, std::string(1, '\0'));
  EXPECT_THAT(load_error(text), StartsWith("g.yaml:7:9: the file holds a NUL byte"));
  EXPECT_THAT(load_error(std::string(1, '\0') + "version: 1\n"),
              StartsWith("g.yaml:1:1: the file holds a NUL byte"));
}

TEST(GoalText, InvalidUtf8IsRefusedWhereItIs) {
  std::string text = with_tasks("      - {id: a, title: 'caf\xe9'}\n");
  EXPECT_THAT(load_error(text), StartsWith("g.yaml:7:28: not valid UTF-8 (byte 0xe9)"));
}

TEST(GoalText, NestingPastTheLimitSaysWhere) {
  std::string deep = "version: 1\ngoals:\n  - id: g\n    params:\n      x: ";
  for (int i = 0; i < 120; ++i) deep += "[";
  for (int i = 0; i < 120; ++i) deep += "]";
  deep += "\n    tasks: [{id: a, run: [x]}]\n";
  EXPECT_THAT(load_error(deep), HasSubstr("g.yaml:5:"));
  EXPECT_THAT(load_error(deep), HasSubstr("maps and lists nested more than 100 levels deep"));
}

TEST(GoalText, TasksNestedPastTheDepthLimitAreRefused) {
  auto nested = [](int levels) {
    std::string tasks = "{id: leaf}";
    for (int i = levels - 1; i > 0; --i)
      tasks = "{id: t" + std::to_string(i) + ", tasks: [" + tasks + "]}";
    return "version: 1\ndefaults: {run: [x]}\ngoals:\n  - id: g\n    tasks: [" + tasks + "]\n";
  };
  loads(nested(32));
  EXPECT_THAT(load_error(nested(33)), HasSubstr("tasks nested more than 32 levels deep"));
}

// --- numbers have ranges ---------------------------------------------------------------------

TEST(Ranges, EveryIntegerKeyHasARange) {
  EXPECT_THAT(load_error(with_tasks("      - {id: a}\n", "    max_parallel: 2147483648\n")),
              HasSubstr("max_parallel: expected an integer from 0 to 1000000, found 2147483648"));
  loads(with_tasks("      - {id: a}\n", "    max_parallel: 1000000\n"));
  EXPECT_THAT(load_error(with_tasks("      - {id: a, priority: -2147483648}\n")),
              HasSubstr("priority: expected an integer from -1000000 to 1000000"));
  EXPECT_THAT(load_error(with_tasks("      - {id: a, max_retries: 100000}\n")),
              HasSubstr("max_retries: expected an integer from 0 to 1000"));
  EXPECT_THAT(load_error(with_tasks("      - {id: a, timeout: 400d}\n")),
              HasSubstr("timeout: expected a duration of at most 365d"));
  loads(with_tasks("      - {id: a, timeout: 365d}\n"));
}

}  // namespace
}  // namespace gk
