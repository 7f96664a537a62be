#include "core/goal_file.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unordered_set>

#include "core/error.hpp"
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

GoalDef load_one(const std::string &yaml) {
  std::vector<GoalDef> goals = parse_goal_file(yaml, "g.yaml");
  EXPECT_EQ(goals.size(), 1u);
  return goals.at(0);
}

// A file with one goal `g` whose tasks are `tasks` (indented as a list under tasks:).
std::string with_tasks(const std::string &tasks, const std::string &extra = "") {
  return "version: 1\n"
         "defaults: {run: [./agent.sh]}\n"
         "goals:\n"
         "  - id: g\n" +
         extra + "    tasks:\n" + tasks;
}

const char *kDesignExample = R"(version: 1
defaults: {session_policy: reuse, run: ["./agent.sh"], max_parallel: 4, timeout: 1h}
goals:
  - id: land-login-fix
    title: Fix the login redirect and land it
    params: {repo: acme/web}
    tasks:
      - id: implement
        title: Implement the fix and open a PR
        session_policy: spawn            # reuse | spawn | auto
        max_retries: 1
      - id: ci
        wait_for: {type: gh_ci, repo: "{{ params.repo }}", pr: "{{ tasks.implement.artifacts.pr }}"}
        max_retries: 3
      - id: bot-review
        wait_for: {type: centaur_review, repo: "{{ params.repo }}", pr: "{{ tasks.implement.artifacts.pr }}"}
      - id: review
        wait_for: {type: gh_review, repo: "{{ params.repo }}", pr: "{{ tasks.implement.artifacts.pr }}", timeout: 2d}
      - id: sign-off
        stage: human_review
)";

// --- ids ---------------------------------------------------------------------------------------

TEST(Ids, LettersDigitsAndSeparatorsUpTo64Characters) {
  for (const char *ok : {"a", "A9", "9lives", "land-login-fix", "v1.2_rc-3", "x.-_"}) {
    EXPECT_TRUE(is_valid_id(ok)) << ok;
    EXPECT_EQ(id_error(ok), "") << ok;
  }
  EXPECT_TRUE(is_valid_id(std::string(64, 'a')));
  EXPECT_FALSE(is_valid_id(std::string(65, 'a')));
  for (const char *bad : {"", "-a", ".hidden", "_x", "a b", "a/b", "a:b", "ü", "a\n"}) {
    EXPECT_FALSE(is_valid_id(bad)) << bad;
  }
}

TEST(Ids, ErrorSaysWhyTheIdIsInvalid) {
  EXPECT_THAT(id_error(""), HasSubstr("empty"));
  EXPECT_THAT(id_error(std::string(65, 'a')), HasSubstr("65 characters, at most 64"));
  EXPECT_THAT(id_error("-x"), HasSubstr("starts with '-'"));
  EXPECT_THAT(id_error("a b"), HasSubstr("' ' at position 2 is not allowed"));
  EXPECT_THAT(id_error("a\x01"), HasSubstr("'\\x01' at position 2"));
}

// --- loading -----------------------------------------------------------------------------------

TEST(GoalFile, DesignExampleLoadsWithDefaultsApplied) {
  GoalDef g = load_one(kDesignExample);
  EXPECT_EQ(g.id, "land-login-fix");
  EXPECT_EQ(g.title, "Fix the login redirect and land it");
  EXPECT_EQ(g.source, "g.yaml");
  EXPECT_EQ(g.max_parallel, 4);
  EXPECT_EQ(json::value(g.params), json::parse(R"({"repo": "acme/web"})"));
  EXPECT_EQ(g.root.id, g.id);
  ASSERT_EQ(g.root.tasks.size(), 5u);
  const TaskDef &impl = g.root.tasks[0];
  EXPECT_EQ(impl.stage, Stage::agent_work);
  EXPECT_EQ(impl.session_policy, SessionPolicy::spawn);
  EXPECT_EQ(impl.run, std::vector<std::string>{"./agent.sh"});
  EXPECT_EQ(impl.timeout_s, 3600);
  EXPECT_EQ(impl.max_retries, 1);
  const TaskDef &ci = g.root.tasks[1];
  EXPECT_EQ(ci.stage, Stage::wait_for_signal);
  EXPECT_EQ(ci.title, "ci");
  EXPECT_EQ(ci.max_retries, 3);
  EXPECT_EQ(json::value(ci.wait_for), json::parse(R"({"type": "gh_ci", "repo": "{{ params.repo }}",
      "pr": "{{ tasks.implement.artifacts.pr }}"})"));
  EXPECT_EQ(json::value(g.root.tasks[3].wait_for).at("timeout_s"), json::value(172800));
  EXPECT_EQ(g.root.tasks[4].stage, Stage::human_review);
  EXPECT_FALSE(g.root.tasks[4].has_needs);
}

TEST(GoalFile, RunEnvPolicyTimeoutAndRetriesFlowDownNearestWins) {
  GoalDef g = load_one(R"(version: 1
defaults:
  run: [d]
  env: {A: da, B: db, C: dc}
  session_policy: spawn
  timeout: 10m
  max_retries: 1
goals:
  - id: g
    run: [goal]
    env: {B: gb}
    session_policy: auto
    timeout: 1h
    tasks:
      - id: parent
        env: {C: pc, N: 5}
        max_retries: 2
        tasks:
          - id: child
            env: {D: cd}
            run: [child, --x]
          - id: child2
            session_policy: reuse
            timeout: 45s
      - id: plain
)");
  const TaskDef &root = g.root;
  EXPECT_EQ(root.run, std::vector<std::string>{"goal"});
  EXPECT_EQ(root.session_policy, SessionPolicy::automatic);
  const TaskDef &parent = root.tasks[0];
  const TaskDef &child = parent.tasks[0];
  EXPECT_EQ(child.run, (std::vector<std::string>{"child", "--x"}));
  EXPECT_EQ(child.env, (std::map<std::string, std::string>{
                           {"A", "da"}, {"B", "gb"}, {"C", "pc"}, {"D", "cd"}, {"N", "5"}}));
  EXPECT_EQ(child.session_policy, SessionPolicy::automatic);
  EXPECT_EQ(child.timeout_s, 3600);
  EXPECT_EQ(child.max_retries, 2);
  const TaskDef &child2 = parent.tasks[1];
  EXPECT_EQ(child2.run, std::vector<std::string>{"goal"});
  EXPECT_EQ(child2.session_policy, SessionPolicy::reuse);
  EXPECT_EQ(child2.timeout_s, 45);
  const TaskDef &plain = root.tasks[1];
  EXPECT_EQ(plain.max_retries, 1);
  EXPECT_EQ(plain.env.at("C"), "dc");
}

TEST(GoalFile, OtherDefaultsApplyWhereTheTaskSaysNothing) {
  GoalDef g = load_one(R"(version: 1
defaults: {run: [a], prompt: "Do {{ task.title }}", priority: 2, requires_approval: true, parallel: true}
goals:
  - id: g
    tasks:
      - id: a
      - id: b
        priority: -1
        requires_approval: false
        prompt: own
      - id: gate
        wait_for: {type: human_approval}
)");
  EXPECT_TRUE(g.root.parallel);
  const TaskDef &a = g.root.tasks[0];
  EXPECT_EQ(a.prompt, "Do {{ task.title }}");
  EXPECT_EQ(a.priority, 2);
  EXPECT_TRUE(a.requires_approval);
  const TaskDef &b = g.root.tasks[1];
  EXPECT_EQ(b.prompt, "own");
  EXPECT_EQ(b.priority, -1);
  EXPECT_FALSE(b.requires_approval);
  EXPECT_FALSE(g.root.tasks[2].requires_approval);  // only agent tasks await approval
}

TEST(GoalFile, StageIsWaitForSignalWhenWaitForIsSet) {
  GoalDef g =
      load_one(with_tasks("      - id: gate\n"
                          "        stage: wait_for_signal\n"
                          "        wait_for: {type: human_approval, key: ship-it}\n"));
  EXPECT_EQ(g.root.tasks[0].stage, Stage::wait_for_signal);
  EXPECT_EQ(json::value(g.root.tasks[0].wait_for),
            json::parse(R"({"type": "human_approval", "key": "ship-it"})"));
}

TEST(GoalFile, WaitForWithAnotherStageIsAnError) {
  std::string e =
      load_error(with_tasks("      - id: gate\n"
                            "        stage: human_review\n"
                            "        wait_for: {type: human_approval}\n"));
  EXPECT_THAT(e, StartsWith("g.yaml:7:16: goals[0].tasks[0].stage: stage human_review cannot have "
                            "wait_for"));
}

TEST(GoalFile, WaitForSignalStageWithoutWaitForIsAnError) {
  std::string e =
      load_error(with_tasks("      - id: gate\n"
                            "        stage: wait_for_signal\n"));
  EXPECT_THAT(e, StartsWith("g.yaml:7:16: goals[0].tasks[0].stage: stage wait_for_signal needs "
                            "wait_for"));
}

TEST(GoalFile, AgentLeafWithNothingToRunIsAnError) {
  std::string e = load_error(R"(version: 1
goals:
  - id: g
    tasks:
      - id: review
        stage: human_review
      - id: work
)");
  EXPECT_EQ(e,
            "g.yaml:7:9: goals[0].tasks[1]: task work has nothing to run: set run on the task, "
            "its goal or defaults");
}

TEST(GoalFile, WaitForOnAParentIsAnError) {
  std::string e =
      load_error(with_tasks("      - id: p\n"
                            "        wait_for: {type: human_approval}\n"
                            "        tasks: [{id: c}]\n"));
  EXPECT_THAT(e, StartsWith("g.yaml:7:9: goals[0].tasks[0].wait_for: a task with children cannot "
                            "wait_for"));
}

TEST(GoalFile, GateTimeoutBelongsInsideWaitFor) {
  std::string e =
      load_error(with_tasks("      - id: gate\n"
                            "        timeout: 1h\n"
                            "        wait_for: {type: human_approval}\n"));
  EXPECT_THAT(e, StartsWith("g.yaml:7:9: goals[0].tasks[0].timeout: a gate's timeout goes inside "
                            "wait_for"));
}

TEST(GoalFile, YamlSyntaxErrorNamesLineAndColumn) {
  std::string e = load_error("version: 1\ngoals: [ {id: g\n");
  EXPECT_THAT(e, StartsWith("g.yaml:3:1: YAML syntax error: "));
}

TEST(GoalFile, UnknownKeyNamesLineColumnAndSuggestion) {
  std::string e =
      load_error(with_tasks("      - id: a\n"
                            "        sesion_policy: spawn\n"));
  EXPECT_THAT(e, StartsWith("g.yaml:7:9: goals[0].tasks[0].sesion_policy: unknown key "
                            "'sesion_policy' in a task (did you mean 'session_policy'?); allowed "
                            "keys: id, title,"));
}

TEST(GoalFile, UnknownKeyFarFromAnyKnownKeyHasNoSuggestion) {
  std::string e = load_error(with_tasks("      - {id: a, colour: red}\n"));
  EXPECT_THAT(e, StartsWith("g.yaml:6:17: goals[0].tasks[0].colour: unknown key 'colour' in a "
                            "task; allowed keys:"));
}

TEST(GoalFile, KeysOfTheWrongLevelSayWhereTheyBelong) {
  EXPECT_THAT(load_error(with_tasks("      - {id: a, max_parallel: 2}\n")),
              HasSubstr("key 'max_parallel' is not allowed in a task (it is a goal key)"));
  EXPECT_THAT(load_error("version: 1\ndefaults: {needs: [a]}\ngoals: []\n"),
              StartsWith("g.yaml:2:12: defaults.needs: key 'needs' is not allowed in defaults"));
  EXPECT_THAT(load_error(with_tasks("      - id: a\n", "    stage: agent_work\n")),
              StartsWith("g.yaml:5:5: goals[0].stage: key 'stage' is not allowed in a goal"));
}

TEST(GoalFile, DuplicateKeyIsAnError) {
  std::string e = load_error(with_tasks("      - id: a\n        title: x\n        title: y\n"));
  EXPECT_THAT(e, StartsWith("g.yaml:8:9: goals[0].tasks[0].title: duplicate key 'title' (first "
                            "defined at line 7)"));
}

TEST(GoalFile, WrongTypesSayExpectedAndFound) {
  EXPECT_THAT(load_error(with_tasks("      - {id: a, parallel: yes}\n")),
              StartsWith("g.yaml:6:27: goals[0].tasks[0].parallel: expected true or false, found "
                         "a string 'yes'"));
  EXPECT_THAT(load_error(with_tasks("      - {id: a, priority: high}\n")),
              HasSubstr("goals[0].tasks[0].priority: expected an integer, found a string 'high'"));
  EXPECT_THAT(load_error(with_tasks("      - {id: a, max_retries: -1}\n")),
              HasSubstr("max_retries: expected an integer from 0 to 1000, found -1"));
  EXPECT_THAT(load_error(with_tasks("      - {id: a, title: [x]}\n")),
              HasSubstr("title: expected a string, found a list"));
  EXPECT_THAT(load_error(with_tasks("      - {id: a, env: {X: [1]}}\n")),
              HasSubstr("goals[0].tasks[0].env.X: expected a string (quote it), found a list"));
  EXPECT_THAT(load_error(with_tasks("      - {id: a, session_policy: spwan}\n")),
              HasSubstr("session_policy: expected one of reuse, spawn, auto, found a string "
                        "'spwan' (did you mean 'spawn'?)"));
  EXPECT_THAT(load_error(with_tasks("      - {id: a, stage: review}\n")),
              HasSubstr("expected one of agent_work, wait_for_signal, human_review"));
  EXPECT_THAT(load_error(with_tasks("      - {id: a, needs: a}\n")),
              HasSubstr("needs: expected a list of sibling task ids, found a string 'a'"));
  EXPECT_THAT(load_error(with_tasks("      - {id: a}\n", "    params: [a]\n")),
              HasSubstr("goals[0].params: expected a map, found a list"));
  EXPECT_THAT(load_error(with_tasks("      - {id: a, tasks: {id: b}}\n")),
              HasSubstr("goals[0].tasks[0].tasks: expected a list of tasks, found a map"));
}

TEST(GoalFile, NullValueIsReportedAtItsKey) {
  EXPECT_EQ(load_error(with_tasks("      - id: a\n        description:\n      - id: b\n")),
            "g.yaml:7:9: goals[0].tasks[0].description: expected a string, found nothing (null)");
}

TEST(GoalFile, RunMustBeAnArgvList) {
  std::string e = load_error(with_tasks("      - id: a\n        run: ./agent.sh --fast\n"));
  EXPECT_THAT(e, StartsWith("g.yaml:7:14: goals[0].tasks[0].run: run must be a list (argv), not a "
                            "shell string"));
  EXPECT_THAT(load_error(with_tasks("      - {id: a, run: []}\n")),
              HasSubstr("run: expected a non-empty list (argv)"));
  GoalDef g = load_one(with_tasks("      - {id: a, run: [sleep, 5, 1.5]}\n"));
  EXPECT_EQ(g.root.tasks[0].run, (std::vector<std::string>{"sleep", "5", "1.5"}));
}

TEST(GoalFile, InvalidIdsNameThePosition) {
  EXPECT_THAT(load_error(with_tasks("      - id: a b\n")),
              StartsWith("g.yaml:6:13: goals[0].tasks[0].id: invalid id 'a b': ' ' at position 2"));
  EXPECT_THAT(load_error("version: 1\ngoals:\n  - id: -g\n    tasks: [{id: a}]\n"),
              StartsWith("g.yaml:3:9: goals[0].id: invalid id '-g'"));
  EXPECT_THAT(load_error(with_tasks("      - title: no id\n")),
              StartsWith("g.yaml:6:9: goals[0].tasks[0]: missing key 'id'"));
}

TEST(GoalFile, DuplicateTaskIdAnywhereInTheGoalMentionsTheFirstLine) {
  std::string e =
      load_error(with_tasks("      - id: a\n"
                            "      - id: p\n"
                            "        tasks:\n"
                            "          - id: a\n"));
  EXPECT_EQ(e,
            "g.yaml:9:17: goals[0].tasks[1].tasks[0].id: duplicate task id 'a' in goal 'g' (first "
            "defined at line 6)");
}

TEST(GoalFile, SameTaskIdInTwoGoalsIsFine) {
  std::vector<GoalDef> goals = parse_goal_file(R"(version: 1
defaults: {run: [x]}
goals:
  - {id: g1, tasks: [{id: a}]}
  - {id: g2, tasks: [{id: a}]}
)",
                                               "g.yaml");
  EXPECT_EQ(goals.size(), 2u);
}

TEST(GoalFile, TaskIdEqualToItsGoalIdIsAnError) {
  EXPECT_THAT(load_error(with_tasks("      - id: g\n")),
              StartsWith("g.yaml:6:13: goals[0].tasks[0].id: task id 'g' is the id of its goal"));
}

TEST(GoalFile, DuplicateGoalIdIsAnError) {
  std::string e = load_error(R"(version: 1
defaults: {run: [x]}
goals:
  - {id: g, tasks: [{id: a}]}
  - {id: g, tasks: [{id: b}]}
)");
  EXPECT_EQ(e, "g.yaml:5:5: goals[1]: duplicate goal id 'g' (first defined at line 4)");
}

TEST(GoalFile, NeedsMustNameASibling) {
  std::string e =
      load_error(with_tasks("      - id: p\n"
                            "        tasks: [{id: inner}]\n"
                            "      - id: b\n"
                            "        needs: [inner]\n"));
  EXPECT_EQ(e,
            "g.yaml:9:17: goals[0].tasks[1].needs[0]: 'inner' is not a sibling of 'b': needs names "
            "tasks with the same parent");
  EXPECT_THAT(load_error(with_tasks("      - {id: build}\n      - {id: b, needs: [biuld]}\n")),
              StartsWith("g.yaml:7:25: goals[0].tasks[1].needs[0]: no sibling task 'biuld' (did "
                         "you mean 'build'?)"));
}

TEST(GoalFile, NeedsMustNotNameTheTaskItself) {
  EXPECT_THAT(load_error(with_tasks("      - {id: a, needs: [a]}\n")),
              StartsWith("g.yaml:6:25: goals[0].tasks[0].needs[0]: task 'a' cannot need itself"));
}

TEST(GoalFile, NeedsCycleIsNamed) {
  std::string e =
      load_error(with_tasks("      - {id: a, needs: [c]}\n"
                            "      - {id: b, needs: [a]}\n"
                            "      - {id: c, needs: [b]}\n"
                            "      - {id: d, needs: [a]}\n"));
  EXPECT_EQ(e, "g.yaml:6:17: goals[0].tasks[0].needs: needs form a cycle: a -> c -> b -> a");
}

TEST(GoalFile, EmptyNeedsMeansNoDependency) {
  GoalDef g =
      load_one(with_tasks("      - {id: a}\n      - {id: b, needs: []}\n"
                          "      - {id: c, needs: [a, b]}\n"));
  EXPECT_FALSE(g.root.tasks[0].has_needs);
  EXPECT_TRUE(g.root.tasks[1].has_needs);
  EXPECT_TRUE(g.root.tasks[1].needs.empty());
  EXPECT_EQ(g.root.tasks[2].needs, (std::vector<std::string>{"a", "b"}));
}

TEST(GoalFile, TemplateSyntaxErrorNamesWhereItWasWritten) {
  std::string e =
      load_error(with_tasks("      - id: a\n"
                            "        prompt: \"Fix {{ params.repo\"\n",
                            "    params: {repo: r}\n"));
  EXPECT_THAT(e, StartsWith("g.yaml:8:17: goals[0].tasks[0].prompt: unclosed template"));
}

TEST(GoalFile, TemplateParamMustExistInTheGoal) {
  std::string e =
      load_error(with_tasks("      - id: a\n"
                            "        env: {REPO: \"{{ params.rpo }}\"}\n",
                            "    params: {repo: r, branch: main}\n"));
  EXPECT_EQ(e,
            "g.yaml:8:21: goals[0].tasks[0].env.REPO: expression {{ params.rpo }}: goal 'g' has no "
            "param 'rpo' (did you mean 'repo'?); its params: repo, branch");
}

TEST(GoalFile, TemplateNestedParamIsFollowed) {
  load_one(with_tasks("      - {id: a, prompt: \"{{ params.gh.repo }} {{ params.list.1 }}\"}\n",
                      "    params: {gh: {repo: r}, list: [x, y]}\n"));
  EXPECT_THAT(load_error(with_tasks("      - {id: a, prompt: \"{{ params.gh.nope }}\"}\n",
                                    "    params: {gh: {repo: r}}\n")),
              HasSubstr("goal 'g' has no param 'gh.nope'"));
}

TEST(GoalFile, TemplateTaskMustBeATaskOfTheSameGoal) {
  std::string e =
      load_error(with_tasks("      - id: a\n"
                            "      - id: gate\n"
                            "        wait_for:\n"
                            "          type: gh_ci\n"
                            "          repo: acme/web\n"
                            "          pr: \"{{ tasks.implement.artifacts.pr }}\"\n"));
  EXPECT_EQ(e,
            "g.yaml:11:15: goals[0].tasks[1].wait_for.pr: expression {{ "
            "tasks.implement.artifacts.pr }}: goal 'g' has no task 'implement'");
  // An earlier task may be named, and so may a task nested anywhere in it.
  load_one(
      with_tasks("      - {id: p, tasks: [{id: deep}]}\n"
                 "      - {id: a, prompt: \"{{ tasks.deep.summary }}\"}\n"));
}

TEST(GoalFile, TemplatesInDefaultsAreCheckedForEachGoal) {
  std::string e = load_error(R"(version: 1
defaults: {run: [./agent.sh, "{{ params.repo }}"]}
goals:
  - {id: g1, params: {repo: r}, tasks: [{id: a}]}
  - {id: g2, tasks: [{id: a}]}
)");
  EXPECT_THAT(e, StartsWith("g.yaml:2:30: defaults.run[1]: expression {{ params.repo }}: goal 'g2' "
                            "has no param 'repo' (it has no params)"));
}

TEST(GoalFile, GateIsStoredAsTypedJson) {
  GoalDef g = load_one(with_tasks(R"(      - id: gate
        wait_for:
          type: compound
          timeout: 1h
          any:
            - {type: gh_ci, repo: acme/web, pr: 42, checks: [build, "test"], timeout: 30m}
            - {type: gh_review, repo: acme/web, pr: "7", min_approvals: 2}
            - {type: centaur_review, pr_url: "https://github.com/acme/web/pull/42"}
            - type: compound
              all: [{type: human_approval, key: ok}, {type: gh_ci, repo: a/b, sha: abc123}]
)"));
  EXPECT_EQ(json::value(g.root.tasks[0].wait_for), json::parse(R"({
    "type": "compound", "timeout_s": 3600, "any": [
      {"type": "gh_ci", "repo": "acme/web", "pr": 42, "checks": ["build", "test"], "timeout_s": 1800},
      {"type": "gh_review", "repo": "acme/web", "pr": "7", "min_approvals": 2},
      {"type": "centaur_review", "pr_url": "https://github.com/acme/web/pull/42"},
      {"type": "compound", "all": [{"type": "human_approval", "key": "ok"},
                                   {"type": "gh_ci", "repo": "a/b", "sha": "abc123"}]}]})"));
}

TEST(GoalFile, UnknownGateTypeIsAnError) {
  std::string e = load_error(with_tasks("      - {id: a, wait_for: {type: gh_cl, repo: a/b}}\n"));
  EXPECT_EQ(e,
            "g.yaml:6:34: goals[0].tasks[0].wait_for.type: expected one of gh_ci, gh_review, "
            "centaur_review, human_approval, compound, found a string 'gh_cl' (did you mean "
            "'gh_ci'?)");
  EXPECT_THAT(load_error(with_tasks("      - {id: a, wait_for: {repo: a/b}}\n")),
              StartsWith("g.yaml:6:27: goals[0].tasks[0].wait_for: missing key 'type'"));
}

TEST(GoalFile, GatesNeedTheirRequiredKeys) {
  auto gate_error = [](const std::string &gate) {
    return load_error(with_tasks("      - id: a\n        wait_for: " + gate + "\n"));
  };
  EXPECT_THAT(gate_error("{type: gh_ci, repo: a/b}"),
              StartsWith("g.yaml:7:19: goals[0].tasks[0].wait_for: a gh_ci gate needs pr or sha"));
  EXPECT_THAT(gate_error("{type: gh_ci, pr: 1}"), HasSubstr("a gh_ci gate needs repo"));
  EXPECT_THAT(gate_error("{type: gh_ci, repo: a/b, pr: 1, sha: abc}"),
              HasSubstr("pr or sha, not both"));
  EXPECT_THAT(gate_error("{type: gh_review, repo: a/b}"), HasSubstr("a gh_review gate needs pr"));
  EXPECT_THAT(gate_error("{type: gh_review, repo: a/b, pr: 1, min_approvals: 0}"),
              HasSubstr("wait_for.min_approvals: expected an integer from 1 to 100, found 0"));
  EXPECT_THAT(gate_error("{type: centaur_review, repo: a/b}"),
              HasSubstr("a centaur_review gate needs pr_url, or repo and pr"));
  EXPECT_THAT(gate_error("{type: compound}"), HasSubstr("needs either all or any"));
  EXPECT_THAT(gate_error("{type: compound, all: []}"),
              HasSubstr("wait_for.all: expected a non-empty list of gates"));
  EXPECT_THAT(gate_error("{type: compound, all: [{type: human_approval}], any: [{type: "
                         "human_approval}]}"),
              HasSubstr("needs either all or any"));
  EXPECT_THAT(gate_error("{type: compound, all: [{type: gh_review, repo: a/b}]}"),
              StartsWith("g.yaml:7:42: goals[0].tasks[0].wait_for.all[0]: a gh_review gate needs "
                         "pr"));
  EXPECT_THAT(gate_error("{type: gh_ci, repo: acme, pr: 1}"),
              HasSubstr("wait_for.repo: expected owner/name, found 'acme'"));
  EXPECT_THAT(gate_error("{type: gh_ci, repo: a/b, pr: abc}"),
              HasSubstr("wait_for.pr: expected a pull request number or a template"));
  EXPECT_THAT(gate_error("{type: human_approval, repo: a/b}"),
              HasSubstr("a human_approval gate needs repo and pr together"));
  EXPECT_THAT(gate_error("{type: human_approval, sha: abc}"),
              HasSubstr("wait_for.sha: unknown key 'sha' in a human_approval gate; allowed "
                        "keys: type, key, repo, pr, pr_url, timeout"));
  EXPECT_THAT(gate_error("{type: gh_ci, repo: a/b, pr: 1, timeout: soon}"),
              HasSubstr("wait_for.timeout: expected a duration"));
}

TEST(GoalFile, BadDurationIsAnError) {
  EXPECT_THAT(load_error(with_tasks("      - {id: a, timeout: 1h30}\n")),
              StartsWith("g.yaml:6:26: goals[0].tasks[0].timeout: expected a duration (seconds, or "
                         "a number with a unit: 90, 45s, 30m, 1h30m, 2d, 1w), found a string "
                         "'1h30'"));
  EXPECT_THAT(load_error(with_tasks("      - {id: a, timeout: -5}\n")),
              HasSubstr("found an integer -5"));
  GoalDef g = load_one(with_tasks("      - {id: a, timeout: 90}\n"));
  EXPECT_EQ(g.root.tasks[0].timeout_s, 90);
}

TEST(GoalFile, VersionMustBeTheInteger1) {
  EXPECT_THAT(load_error("goals: []\n"), StartsWith("g.yaml:1:1: missing key 'version'"));
  EXPECT_EQ(load_error("version: 2\ngoals: []\n"),
            "g.yaml:1:10: version: unsupported version: expected 1, found an integer 2");
  EXPECT_THAT(load_error("version: \"1\"\ngoals: []\n"),
              HasSubstr("version: unsupported version: expected 1, found a string '1'"));
  EXPECT_THAT(load_error("version: 1.0\ngoals: []\n"), HasSubstr("found a number 1.0"));
}

TEST(GoalFile, EmptyFilesAndListsAreErrors) {
  EXPECT_THAT(load_error(""), HasSubstr("the file is empty"));
  EXPECT_THAT(load_error("- a\n"), StartsWith("g.yaml:1:1: expected a map with version"));
  EXPECT_EQ(load_error("version: 1\ngoals: []\n"),
            "g.yaml:2:8: goals: expected at least one goal, found an empty list");
  EXPECT_THAT(load_error("version: 1\n"), HasSubstr("missing key 'goals'"));
  EXPECT_EQ(load_error("version: 1\ngoals:\n  - id: g\n"),
            "g.yaml:3:5: goals[0]: goal 'g' has no tasks: add a tasks list");
  EXPECT_THAT(load_error("version: 1\ngoals:\n  - {id: g, tasks: []}\n"),
              StartsWith("g.yaml:3:20: goals[0].tasks: expected at least one task"));
}

TEST(GoalFile, MaxParallelMustNotBeNegative) {
  EXPECT_THAT(
      load_error(with_tasks("      - {id: a}\n", "    max_parallel: -1\n")),
      StartsWith(
          "g.yaml:5:19: goals[0].max_parallel: expected an integer from 0 to 1000000, found -1"));
  EXPECT_THAT(
      load_error("version: 1\ndefaults: {max_parallel: -3}\ngoals: []\n"),
      StartsWith("g.yaml:2:26: defaults.max_parallel: expected an integer from 0 to 1000000"));
  GoalDef g = load_one(with_tasks("      - {id: a}\n", "    max_parallel: 3\n"));
  EXPECT_EQ(g.max_parallel, 3);
}

TEST(GoalFile, ParentsCarryInheritedValuesButNoGate) {
  GoalDef g =
      load_one(with_tasks("      - id: p\n"
                          "        parallel: true\n"
                          "        run: [p.sh]\n"
                          "        tasks: [{id: c1}, {id: c2, stage: human_review}]\n"));
  const TaskDef &p = g.root.tasks[0];
  EXPECT_TRUE(p.parallel);
  EXPECT_EQ(p.stage, Stage::agent_work);
  EXPECT_TRUE(p.wait_for.empty());
  EXPECT_EQ(p.tasks[0].run, std::vector<std::string>{"p.sh"});
  EXPECT_EQ(p.tasks[1].stage, Stage::human_review);
  EXPECT_THAT(load_error(with_tasks("      - {id: p, stage: human_review, tasks: [{id: c}]}\n")),
              HasSubstr("a task with children cannot have stage human_review"));
  EXPECT_THAT(
      load_error(with_tasks("      - {id: p, requires_approval: true, tasks: [{id: c}]}\n")),
      HasSubstr("requires_approval applies to agent tasks"));
}

TEST(GoalFile, AliasesAreExpandedWithinALimit) {
  GoalDef g = load_one(R"(version: 1
defaults: {run: &cmd [./a.sh, x]}
goals:
  - {id: g, tasks: [{id: a, run: *cmd, env: &env {A: "1"}}, {id: b, env: *env}]}
)");
  EXPECT_EQ(g.root.tasks[0].run, (std::vector<std::string>{"./a.sh", "x"}));
  EXPECT_EQ(g.root.tasks[1].env.at("A"), "1");
  // "Billion laughs": each level copies the one before ten times.
  std::string yaml = "version: 1\ngoals:\n  - id: g\n    params:\n      l0: &l0 [x, x, x, x, x]\n";
  for (int level = 1; level <= 8; ++level) {
    std::string prev = "*l" + std::to_string(level - 1);
    yaml += "      l" + std::to_string(level) + ": &l" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) yaml += (i ? ", " : "") + prev;
    yaml += "]\n";
  }
  yaml += "    tasks: [{id: a, run: [x]}]\n";
  EXPECT_THAT(load_error(yaml), HasSubstr("YAML syntax error: aliases expand to more than"));
}

TEST(GoalFile, ScalarsKeepTheirYamlTypes) {
  GoalDef g = load_one(with_tasks("      - {id: 7, title: 42, env: {N: 1.5, B: true, S: '007'}}\n",
                                  "    params: {n: 5, f: 1.5, b: false, s: '5', z: null, "
                                  "h: 0x1F, l: [1, two]}\n"));
  EXPECT_EQ(g.root.tasks[0].id, "7");
  EXPECT_EQ(g.root.tasks[0].title, "42");
  EXPECT_EQ(g.root.tasks[0].env,
            (std::map<std::string, std::string>{{"B", "true"}, {"N", "1.5"}, {"S", "007"}}));
  EXPECT_EQ(json::value(g.params),
            json::parse(R"({"n": 5, "f": 1.5, "b": false, "s": "5", "z": null, "h": 31,
                            "l": [1, "two"]})"));
}

TEST(GoalFile, TenThousandSiblingsParse) {
  std::string yaml = "version: 1\ngoals:\n  - id: g\n    run: [x]\n    tasks:\n";
  for (int i = 0; i < 10000; ++i) {
    yaml += "      - {id: t" + std::to_string(i) + ", session_policy: spawn}\n";
  }
  GoalDef g = load_one(yaml);
  ASSERT_EQ(g.root.tasks.size(), 10000u);
  EXPECT_EQ(g.root.tasks[9999].id, "t9999");
  EXPECT_EQ(g.root.tasks[9999].session_policy, SessionPolicy::spawn);
}

TEST(GoalFile, LongNeedsChainIsCheckedWithoutRecursion) {
  std::string yaml = "version: 1\ngoals:\n  - id: g\n    run: [x]\n    tasks:\n      - {id: t0}\n";
  for (int i = 1; i < 20000; ++i) {
    yaml += "      - {id: t" + std::to_string(i) + ", needs: [t" + std::to_string(i - 1) + "]}\n";
  }
  EXPECT_EQ(load_one(yaml).root.tasks.size(), 20000u);
  yaml.replace(yaml.find("{id: t0}"), 8, "{id: t0, needs: [t19999]}");
  EXPECT_THAT(load_error(yaml), HasSubstr("needs form a cycle: t0 -> t19999 -> t19998"));
}

// --- canonical JSON ----------------------------------------------------------------------------

TEST(GoalFileCanonicalJson, StageAndPolicySpellings) {
  for (Stage s : {Stage::agent_work, Stage::wait_for_signal, Stage::human_review}) {
    EXPECT_EQ(stage_from_string(to_string(s)), s);
  }
  EXPECT_STREQ(to_string(SessionPolicy::automatic), "auto");
  EXPECT_EQ(session_policy_from_string("auto"), SessionPolicy::automatic);
  EXPECT_EQ(session_policy_from_string("automatic"), std::nullopt);
  EXPECT_EQ(stage_from_string("review"), std::nullopt);
}

TEST(GoalFileCanonicalJson, RoundTripsExactly) {
  GoalDef g = load_one(kDesignExample);
  g.root.tasks[0].env = {{"A", "1"}, {"B", "{{ goal.id }}"}};
  g.root.tasks[0].needs = {"x"};
  g.root.tasks[0].has_needs = true;
  g.root.tasks[0].requires_approval = true;
  g.root.tasks[0].priority = -4;
  g.root.tasks[0].prompt = "p";
  g.root.tasks[0].description = "d";
  g.root.tasks[1].tasks.push_back(g.root.tasks[4]);
  json::object o = to_json(g);
  GoalDef back = goal_def_from_json(o);
  EXPECT_EQ(json::value(to_json(back)), json::value(o));
  EXPECT_EQ(back.id, g.id);
  EXPECT_EQ(back.title, g.title);
  EXPECT_EQ(back.max_parallel, 4);
  EXPECT_EQ(back.root.tasks[0].env, g.root.tasks[0].env);
  for (const TaskDef &t : g.root.tasks) {
    json::object tj = to_json(t);
    EXPECT_EQ(json::value(to_json(task_def_from_json(tj))), json::value(tj));
    // Also through text, as the store keeps it.
    json::object parsed = json::parse(json::serialize(tj)).as_object();
    EXPECT_EQ(json::value(to_json(task_def_from_json(parsed))), json::value(tj));
  }
  // The canonical form names every field.
  json::object t0 = to_json(g.root.tasks[0]);
  for (const char *key : {"id", "title", "description", "prompt", "run", "env", "stage",
                          "session_policy", "parallel", "needs", "has_needs", "priority",
                          "max_retries", "timeout_s", "requires_approval", "wait_for", "tasks"}) {
    EXPECT_TRUE(t0.contains(key)) << key;
  }
}

TEST(GoalFileCanonicalJson, ShallowFormLeavesChildrenOut) {
  GoalDef g = load_one(with_tasks("      - {id: p, tasks: [{id: c}]}\n"));
  json::object shallow = to_json_shallow(g.root.tasks[0]);
  EXPECT_FALSE(shallow.contains("tasks"));
  json::object deep = to_json(g.root.tasks[0]);
  deep.erase("tasks");
  EXPECT_EQ(json::value(shallow), json::value(deep));
  EXPECT_TRUE(task_def_from_json(shallow).tasks.empty());
}

TEST(GoalFileCanonicalJson, DescribeDifferenceNamesTheFirstDifferentPath) {
  json::value a = json::parse(R"({"title": "t", "tasks": [{"id": "x", "run": ["a"]},
      {"id": "y", "run": ["a"]}, {"id": "z"}]})");
  EXPECT_EQ(describe_difference(a, a), "");
  json::value b = a;
  b.at("tasks").at(1).at("run").at(0) = "b";
  EXPECT_EQ(describe_difference(a, b), R"(tasks[1].run[0]: "a" vs "b")");
  json::value c = a;
  c.at("tasks").as_array().push_back(json::object{{"id", "w"}});
  EXPECT_EQ(describe_difference(a, c), "tasks: 3 items vs 4 items");
  json::value d = a;
  d.as_object().erase("title");
  EXPECT_EQ(describe_difference(d, a), R"(title: missing vs "t")");
  EXPECT_EQ(describe_difference(a, d), R"(title: "t" vs missing)");
  json::value e = a;
  e.at("tasks").at(0).as_object()["env"] = json::object{{"A.B", 1}};
  EXPECT_EQ(describe_difference(a, e), R"(tasks[0].env: missing vs {"A.B":1})");
  EXPECT_EQ(describe_difference(json::parse(R"({"env": {"A.B": 1}})"),
                                json::parse(R"({"env": {"A.B": 2}})")),
            R"(env["A.B"]: 1 vs 2)");
  EXPECT_EQ(describe_difference(json::value(1), json::value("1")), R"(1 vs "1")");
}

TEST(GoalFileCanonicalJson, DescribeDifferenceOfTwoLoadedGoals) {
  GoalDef a = load_one(kDesignExample);
  std::string changed = kDesignExample;
  changed.replace(changed.find("max_retries: 3"), 14, "max_retries: 5");
  GoalDef b = load_one(changed);
  EXPECT_EQ(describe_difference(json::value(to_json(a)), json::value(to_json(b))),
            "tasks[1].max_retries: 3 vs 5");
}

// --- subtasks ----------------------------------------------------------------------------------

struct GoalFileSubtasks : ::testing::Test {
  GoalDef goal = load_one(kDesignExample);
  TaskDef parent = goal.root.tasks[0];
  std::unordered_set<std::string> existing = {"land-login-fix", "implement", "ci",
                                              "bot-review",     "review",    "sign-off"};
  std::function<bool(std::string_view)> taken = [this](std::string_view id) {
    return existing.contains(std::string(id));
  };
  // The tasks of the goal that finished before the parent's job ran.
  std::unordered_set<std::string> before = {};
  std::function<bool(std::string_view)> ran_before = [this](std::string_view id) {
    return before.contains(std::string(id));
  };

  std::vector<TaskDef> parse(const char *text) {
    return parse_subtasks(json::parse(text), goal, parent, "result of G/T#1", taken, ran_before, 1);
  }
  std::string error(const char *text) {
    try {
      parse(text);
    } catch (const Error &e) {
      EXPECT_EQ(e.code(), Errc::invalid);
      return e.what();
    }
    ADD_FAILURE() << "no error for " << text;
    return {};
  }
};

TEST_F(GoalFileSubtasks, SubtasksInheritFromTheParentTask) {
  parent.env = {{"P", "1"}};
  std::vector<TaskDef> tasks = parse(R"([
      {"id": "s1", "title": "Step one", "prompt": "use {{ params.repo }}",
       "env": {"Q": 2}},
      {"id": "s2", "needs": ["s1"], "session_policy": "reuse", "max_retries": 2,
       "tasks": [{"id": "s2a", "run": ["x", "y"]}, {"id": "s2b"}]},
      {"id": "s3", "wait_for": {"type": "gh_ci", "repo": "a/b", "pr": 7, "timeout": "1h"}},
      {"id": "s4", "prompt": "{{ tasks.s1.summary }} {{ tasks.implement.artifacts.pr }}"}])");
  ASSERT_EQ(tasks.size(), 4u);
  EXPECT_EQ(tasks[0].title, "Step one");
  EXPECT_EQ(tasks[0].run, std::vector<std::string>{"./agent.sh"});
  EXPECT_EQ(tasks[0].session_policy, SessionPolicy::spawn);
  EXPECT_EQ(tasks[0].timeout_s, 3600);
  EXPECT_EQ(tasks[0].env, (std::map<std::string, std::string>{{"P", "1"}, {"Q", "2"}}));
  EXPECT_EQ(tasks[1].needs, std::vector<std::string>{"s1"});
  EXPECT_EQ(tasks[1].tasks[0].run, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(tasks[1].tasks[1].session_policy, SessionPolicy::reuse);
  EXPECT_EQ(tasks[1].tasks[1].max_retries, 2);
  EXPECT_EQ(tasks[2].stage, Stage::wait_for_signal);
  EXPECT_EQ(json::value(tasks[2].wait_for),
            json::parse(R"({"type": "gh_ci", "repo": "a/b", "pr": 7, "timeout_s": 3600})"));
}

TEST_F(GoalFileSubtasks, EmptyArrayGivesNoTasks) {
  EXPECT_TRUE(parse("[]").empty());
}

TEST_F(GoalFileSubtasks, ErrorsNameWhereAndPath) {
  EXPECT_EQ(error(R"([{"id": "a"}, {"id": "b"}, {"id": "bad id"}])"),
            "result of G/T#1: subtasks[2].id: invalid id 'bad id': ' ' at position 4 is not "
            "allowed (ids are letters, digits, '_', '.' and '-', starting with a letter or digit)");
  EXPECT_EQ(error(R"({"id": "a"})"),
            "result of G/T#1: subtasks: expected an array of tasks, found an object");
  EXPECT_THAT(error(R"([{"id": "a", "colour": 1}])"),
              StartsWith("result of G/T#1: subtasks[0].colour: unknown key 'colour'"));
  EXPECT_THAT(error(R"([{"id": "a", "run": "make"}])"),
              HasSubstr("subtasks[0].run: run must be a list (argv), not a shell string"));
}

TEST_F(GoalFileSubtasks, IdsMustBeNewAndUniqueAmongThemselves) {
  EXPECT_EQ(error(R"([{"id": "ci"}])"),
            "result of G/T#1: subtasks[0].id: task id 'ci' is already used in goal "
            "'land-login-fix'");
  EXPECT_EQ(error(R"([{"id": "a"}, {"id": "p", "tasks": [{"id": "a"}]}])"),
            "result of G/T#1: subtasks[1].tasks[0].id: duplicate task id 'a' in goal "
            "'land-login-fix' (defined twice)");
}

TEST_F(GoalFileSubtasks, NeedsAndTemplatesAreValidated) {
  EXPECT_THAT(error(R"([{"id": "a", "needs": ["implement"]}])"),
              HasSubstr("subtasks[0].needs[0]: 'implement' is not a sibling of 'a'"));
  EXPECT_THAT(error(R"([{"id": "a", "needs": ["b"]}, {"id": "b", "needs": ["a"]}])"),
              HasSubstr("subtasks[0].needs: needs form a cycle: a -> b -> a"));
  EXPECT_THAT(error(R"([{"id": "a", "prompt": "{{ tasks.nope.summary }}"}])"),
              HasSubstr("subtasks[0].prompt: expression {{ tasks.nope.summary }}: goal "
                        "'land-login-fix' has no task 'nope'"));
  EXPECT_THAT(error(R"([{"id": "a", "prompt": "{{ params.branch }}"}])"),
              HasSubstr("has no param 'branch'"));
}

}  // namespace
}  // namespace gk
