// The command line: help, validate and plan of every example, and the errors that exit 2 with a
// message that says what was found and where goalkeeper looked.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace gk::runner_test {
namespace {

const std::vector<std::string> kExamples = {"hello.yaml", "fanout.yaml", "spec.yaml",
                                            "pr-shepherd.yaml"};

TEST(Cli, EveryCommandHasHelpWithExamples) {
  TempDir d;
  for (const char *c : {"run", "step", "status", "events", "logs", "approve", "reject", "signal",
                        "pause", "resume", "stop", "validate", "plan", "task"}) {
    Result r = run({c, "--help"}, in(d));
    EXPECT_EQ(r.exit_code, 0) << c;
    EXPECT_NE(r.out.find("Usage: goalkeeper " + std::string(c)), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Examples:"), std::string::npos) << c;
  }
  Result all = run({"--help"}, in(d));
  EXPECT_EQ(all.exit_code, 0);
  EXPECT_NE(all.out.find("Commands:"), std::string::npos);
}

TEST(Cli, UnknownCommandAndOptionAreUsageErrors) {
  TempDir d;
  Result r = run({"frobnicate"}, in(d));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos) << r.err;
  r = run({"run", "x.yaml", "--jbos", "3"}, in(d));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown option --jbos for 'run'"), std::string::npos) << r.err;
  r = run({"run", "x.yaml", "--jobs", "zero"}, in(d));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--jobs needs a whole number"), std::string::npos) << r.err;
}

TEST(Cli, ValidateAndPlanSucceedForEveryExample) {
  TempDir d;
  for (const auto &name : kExamples) {
    std::string file = examples_dir() + "/" + name;
    Result v = run({"validate", file}, in(d));
    EXPECT_EQ(v.exit_code, 0) << name << ": " << v.err;
    EXPECT_NE(v.out.find(": ok, "), std::string::npos) << v.out;
    Result p = run({"plan", file}, in(d));
    EXPECT_EQ(p.exit_code, 0) << name << ": " << p.err;
    EXPECT_NE(p.out.find("wave"), std::string::npos) << p.out;
  }
  EXPECT_FALSE(fs::exists(d / ".goalkeeper/state.db")) << "validate and plan touch no state";
}

TEST(Cli, PlanShowsOrderParallelismSessionsGatesAndReviews) {
  TempDir d;
  Result p = run({"plan", examples_dir() + "/hello.yaml"}, in(d));
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_NE(p.out.find("[parallel]"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("[spawn]"), std::string::npos);
  EXPECT_NE(p.out.find("[pinned]"), std::string::npos);
  EXPECT_NE(p.out.find("[review]"), std::string::npos);
  EXPECT_NE(p.out.find("2. greet-en, greet-fr, greet-de  (in parallel)"), std::string::npos);
  Result s = run({"plan", examples_dir() + "/pr-shepherd.yaml"}, in(d));
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_NE(s.out.find("[gate: gh_ci]"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("[gate: centaur_review]"), std::string::npos);
  EXPECT_NE(s.out.find("[gate: gh_review]"), std::string::npos);
  EXPECT_NE(s.out.find("[merge]"), std::string::npos);

  write(d / "needs.yaml", R"(version: 1
defaults: {run: ["true"]}
goals:
  - id: g
    tasks:
      - {id: a}
      - {id: b, needs: []}
      - {id: c, needs: [a, b]}
)");
  Result n = run({"plan", "needs.yaml"}, in(d));
  ASSERT_EQ(n.exit_code, 0) << n.err;
  EXPECT_NE(n.out.find("needs: a, b"), std::string::npos) << n.out;
  EXPECT_NE(n.out.find("1. a, b  (in parallel)"), std::string::npos) << n.out;
  EXPECT_NE(n.out.find("2. c"), std::string::npos) << n.out;
}

TEST(Cli, ValidateNamesFileLineAndColumn) {
  TempDir d;
  write(d / "bad.yaml",
        "version: 1\ngoals:\n  - id: g\n    tasks:\n      - id: a\n        wait_fo: {}\n");
  Result r = run({"validate", "bad.yaml"}, in(d));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.yaml:6:"), std::string::npos) << r.err;
}

TEST(Cli, UnreadableGoalFileExits2) {
  TempDir d;
  Result r = run({"run", "missing.yaml"}, in(d));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot read the goal file"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("missing.yaml"), std::string::npos) << r.err;
  fs::create_directory(d / "folder.yaml");
  r = run({"validate", "folder.yaml"}, in(d));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("folder.yaml"), std::string::npos) << r.err;
}

TEST(Cli, UnwritableStateExits2) {
  TempDir d;
  write(d / "a-file", "not a folder");
  Result r = run({"run", examples_dir() + "/hello.yaml", "--state", "a-file/state.db"}, in(d));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot open the state"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("a-file/state.db"), std::string::npos) << r.err;
}

TEST(Cli, AbiMismatchIsRefusedWithWhatWasFound) {
  TempDir d;
  Options o = in(d);
  Result r = run({"status", "--plugin", GK_FAKE_ABI2_PATH}, o);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("implements ABI 2.0"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(GK_FAKE_ABI2_PATH), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--plugin"), std::string::npos) << r.err;
  o.env["GOALKEEPER_PLUGIN"] = GK_FAKE_ABI2_PATH;
  r = run({"run", examples_dir() + "/hello.yaml"}, o);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("GOALKEEPER_PLUGIN"), std::string::npos) << r.err;
}

TEST(Cli, MissingPluginSaysWhereItLooked) {
  TempDir d;
  Result r = run({"status", "--plugin", (d / "nope.so").string()}, in(d));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("nope.so"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no such file"), std::string::npos) << r.err;

  // A copy of the command alone in a folder: nothing next to it, nothing named.
  fs::create_directories(d / "alone/bin");
  fs::copy_file(runner_path(), d / "alone/bin/goalkeeper");
  fs::permissions(d / "alone/bin/goalkeeper", fs::perms::owner_all);
  std::string cmd = "env -u GOALKEEPER_PLUGIN ./alone/bin/goalkeeper status > out.txt 2> err.txt";
  int rc = sh(cmd, d.path());
  EXPECT_EQ(rc, 2);
  std::string err = read(d / "err.txt");
  EXPECT_NE(err.find("no goalkeeper plugin found"), std::string::npos) << err;
  EXPECT_NE(err.find("alone/bin/libgoalkeeper.so.1"), std::string::npos) << err;
  EXPECT_NE(err.find("alone/lib/libgoalkeeper.so.1"), std::string::npos) << err;
}

TEST(Cli, PluginIsFoundNextToTheCommandInTheBuildTree) {
  TempDir d;
  Options o;
  o.cwd = d.path();
  o.env["GOALKEEPER_PLUGIN"] = "";
  Result r = run({"validate", examples_dir() + "/hello.yaml"}, o);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(Cli, TaskOutsideAJobExits2WithAClearMessage) {
  TempDir d;
  Options o = in(d);
  o.env["GK_RESULT_FILE"] = "";
  o.env["GK_JOB_KEY"] = "";
  Result r = run({"task", "complete", "--summary", "x"}, o);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not set"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace gk::runner_test
