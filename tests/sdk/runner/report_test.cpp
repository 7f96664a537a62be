// How sessions report back (goalkeeper task ..., the result file), reviews, spec mode, the step
// command for CI hosts, and the JSON, events and logs outputs.
#include <thread>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "harness.hpp"

namespace gk::runner_test {
namespace {

TEST(Report, SessionsReportThroughTaskCompleteAndTheResultFile) {
  TempDir d;
  write(d / "g.yaml", R"(version: 1
goals:
  - id: g
    tasks:
      - id: a
        run: [sh, -c, 'goalkeeper task complete --summary "opened it" --artifact pr=42 --artifact branch=fix']
      - id: b
        session_policy: spawn
        run: [sh, -c, 'printf "{\"status\":\"done\",\"artifacts\":{\"x\":\"7\"}}" > "$GK_RESULT_FILE"']
      - id: c
        env: {PR: "{{ tasks.a.artifacts.pr }}", BRANCH: "{{ tasks.a.artifacts.branch }}", X: "{{ tasks.b.artifacts.x }}", SUMMARY: "{{ tasks.a.summary }}"}
        run: [sh, -c, 'echo "$PR $BRANCH $X $SUMMARY" > out.txt']
)");
  Result r = run({"run", "g.yaml"}, in(d));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(read(d / "out.txt"), "42 fix 7 opened it\n");
}

TEST(Report, TaskBlockLeavesTheGoalWaitingWithTheReason) {
  TempDir d;
  write(d / "g.yaml", R"(version: 1
goals:
  - id: g
    tasks:
      - {id: a, run: [sh, -c, 'goalkeeper task block --summary "needs a database password"']}
)");
  Result r = run({"run", "g.yaml"}, in(d));
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("needs a database password"), std::string::npos) << r.out;
  Result s = run({"status"}, in(d));
  EXPECT_NE(s.out.find("blocked  a  needs a database password"), std::string::npos) << s.out;
}

TEST(Report, ReviewWaitsForAPersonThenApproveFinishes) {
  TempDir d;
  write(d / "g.yaml", R"(version: 1
goals:
  - id: g
    tasks:
      - {id: work, run: ["true"]}
      - {id: review, stage: human_review}
)");
  Result r = run({"run", "g.yaml"}, in(d));
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("goalkeeper approve g/review"), std::string::npos) << r.out;
  Result a = run({"approve", "g/review"}, in(d));
  EXPECT_EQ(a.exit_code, 0) << a.err;
  r = run({"run", "g.yaml"}, in(d));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(Report, RejectRunsTheAgentAgainWithTheFeedback) {
  TempDir d;
  write(d / "g.yaml", R"(version: 1
goals:
  - id: g
    tasks:
      - id: a
        requires_approval: true
        run: [sh, -c, 'cp "$GK_PROMPT_FILE" prompt-$GK_ATTEMPT.md']
)");
  EXPECT_EQ(run({"run", "g.yaml"}, in(d)).exit_code, 3);
  Result j = run({"reject", "g/a", "--feedback", "Use more cheese."}, in(d));
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_EQ(run({"run", "g.yaml"}, in(d)).exit_code, 3);
  EXPECT_NE(read(d / "prompt-2.md").find("Use more cheese."), std::string::npos);
  EXPECT_EQ(run({"reject", "g/a"}, in(d)).exit_code, 2) << "reject needs --feedback";
  EXPECT_EQ(run({"approve", "g/a"}, in(d)).exit_code, 0);
  EXPECT_EQ(run({"run", "g.yaml"}, in(d)).exit_code, 0);
}

TEST(Report, SpecModePlansWithTaskAddThenRunsTheSubtasks) {
  TempDir d;
  Result r = run({"run", examples_dir() + "/spec.yaml", "--spec", "--auto-approve"}, in(d));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  Result t = run({"status", "--format", "tree"}, in(d));
  for (const char *id : {"parse-flag  [done]", "log-more  [done]", "document  [done]"})
    EXPECT_NE(t.out.find(id), std::string::npos) << t.out;
}

TEST(Report, SpecPlanWaitsForApprovalWithoutAutoApprove) {
  TempDir d;
  Result r = run({"run", examples_dir() + "/spec.yaml", "--spec"}, in(d));
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("goalkeeper approve spec-demo"), std::string::npos) << r.out;
  EXPECT_EQ(run({"approve", "spec-demo"}, in(d)).exit_code, 0);
  r = run({"run", examples_dir() + "/spec.yaml", "--spec"}, in(d));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(Report, HelloExampleRunsToTheEndWithAutoApprove) {
  TempDir d;
  d.git_init();
  Result r = run({"run", examples_dir() + "/hello.yaml", "--auto-approve"}, in(d));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("goal hello done"), std::string::npos) << r.out;
  // Running it again resumes a finished goal: nothing runs, still done.
  Result again = run({"run", examples_dir() + "/hello.yaml", "--auto-approve"}, in(d));
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(again.out.find("started"), std::string::npos) << again.out;
}

TEST(Report, StepDrivesAGoalOnePipelineStepAtATime) {
  TempDir d;
  write(d / "g.yaml", R"(version: 1
goals:
  - id: g
    env: {OUT: ")" + d.path().string() +
                          R"("}
    tasks:
      - {id: a, run: [sh, -c, 'echo a >> "$OUT/ran"']}
      - {id: b, session_policy: spawn, run: [sh, -c, 'echo b >> "$OUT/ran"']}
      - {id: review, stage: human_review}
)");
  Result first = run({"step", "g.yaml"}, in(d));
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("started  g/a#1"), std::string::npos) << first.out;
  int code = 0;
  for (int i = 0; i < 100 && code == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    code = run({"step"}, in(d)).exit_code;
  }
  EXPECT_EQ(code, 3) << "the review waits";
  EXPECT_EQ(lines(d / "ran"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(run({"approve", "review"}, in(d)).exit_code, 0);
  EXPECT_EQ(run({"step"}, in(d)).exit_code, 0);
  Result s = run({"status", "--json"}, in(d));
  auto status = boost::json::parse(s.out).as_object();
  EXPECT_EQ(status.at("goals").at(0).at("state").as_string(), "finished") << s.out;
  EXPECT_EQ(status.at("goals").at(0).at("status").as_string(), "done") << s.out;
}

TEST(Report, JsonOutputIsOneEventPerLineAndEventsAndLogsWork) {
  TempDir d;
  write(d / "g.yaml", R"(version: 1
goals:
  - id: g
    tasks:
      - {id: a, run: [sh, -c, 'echo hello from a']}
)");
  Result r = run({"run", "g.yaml", "--json"}, in(d));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::istringstream lines_in(r.out);
  std::string line;
  std::set<std::string> kinds;
  while (std::getline(lines_in, line)) {
    boost::json::error_code ec;
    auto v = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << line;
    kinds.insert(std::string(v.at("event").as_string()));
  }
  EXPECT_TRUE(kinds.count("started") && kinds.count("finished") && kinds.count("goal_done"));
  Result e = run({"events", "--json", "--goal", "g"}, in(d));
  EXPECT_EQ(e.exit_code, 0) << e.err;
  EXPECT_NE(e.out.find("goal_finished"), std::string::npos) << e.out;
  Result l = run({"logs", "g/a#1"}, in(d));
  EXPECT_EQ(l.exit_code, 0) << l.err;
  EXPECT_EQ(l.out, "hello from a\n");
  EXPECT_EQ(run({"logs", "g/zz#1"}, in(d)).exit_code, 2);
  Result dot = run({"status", "--format", "dot"}, in(d));
  EXPECT_NE(dot.out.find("digraph goals"), std::string::npos) << dot.out;
}

TEST(Report, SignalResolvesAHumanApprovalGate) {
  TempDir d;
  write(d / "g.yaml", R"(version: 1
goals:
  - id: g
    tasks:
      - {id: ship-it, wait_for: {type: human_approval, key: ship}}
      - {id: after, run: ["true"]}
)");
  EXPECT_EQ(run({"run", "g.yaml"}, in(d)).exit_code, 3);
  Result s =
      run({"signal", "--type", "human_approval", "--key", "ship", "--status", "pass"}, in(d));
  EXPECT_EQ(s.exit_code, 0) << s.err;
  EXPECT_NE(s.out.find("g/ship-it"), std::string::npos) << s.out;
  EXPECT_EQ(run({"run", "g.yaml"}, in(d)).exit_code, 0);
}

TEST(Report, PauseAndResume) {
  TempDir d;
  write(d / "g.yaml",
        "version: 1\ngoals:\n  - id: g\n    tasks:\n      - {id: a, run: [\"true\"]}\n");
  EXPECT_EQ(run({"step", "g.yaml"}, in(d)).exit_code, 0);
  EXPECT_EQ(run({"pause", "g"}, in(d)).exit_code, 0);
  EXPECT_EQ(run({"resume", "g"}, in(d)).exit_code, 0);
  EXPECT_EQ(run({"run", "g.yaml"}, in(d)).exit_code, 0);
  EXPECT_EQ(run({"pause", "nope"}, in(d)).exit_code, 2);
}

TEST(Report, LogsFollowPrintsUntilTheJobEnds) {
  TempDir d;
  write(d / "g.yaml",
        "version: 1\ngoals:\n  - id: g\n    tasks:\n"
        "      - {id: a, run: [sh, -c, 'echo one; sleep 0.5; echo two']}\n");
  ASSERT_EQ(run({"step", "g.yaml"}, in(d)).exit_code, 0);
  Options o = in(d);
  o.timeout = std::chrono::milliseconds(10000);
  Result l = run({"logs", "g/a#1", "--follow"}, o);
  EXPECT_FALSE(l.timed_out);
  EXPECT_EQ(l.exit_code, 0) << l.err;
  EXPECT_EQ(l.out, "one\ntwo\n");
}

TEST(Report, ConfigFileInYamlNamesTheState) {
  TempDir d;
  write(d / "gk.yaml", "state_path: elsewhere/state.db\nlimits: {max_parallel: 2}\n");
  write(d / "g.yaml",
        "version: 1\ngoals:\n  - id: g\n    tasks:\n      - {id: a, run: [\"true\"]}\n");
  Result r = run({"run", "g.yaml", "--config", "gk.yaml"}, in(d));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(fs::exists(d / "elsewhere/state.db"));
  EXPECT_FALSE(fs::exists(d / ".goalkeeper/state.db"));
  write(d / "bad.yaml", "limits: [1, 2\n");
  Result b = run({"status", "--config", "bad.yaml"}, in(d));
  EXPECT_EQ(b.exit_code, 2);
  EXPECT_NE(b.err.find("--config bad.yaml:"), std::string::npos) << b.err;
}

}  // namespace
}  // namespace gk::runner_test
