// What the command accepts it can carry through: a file the plugin validates runs, plans and
// shows; a file it cannot pass to the plugin whole is refused with where.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace gk::runner_test {
namespace {

TEST(Input, ANulByteInTheGoalFileIsRefusedWithItsLineAndColumn) {
  TempDir d;
  std::string text = "version: 1\ngoals:\n  - id: g\n    tasks: [{id: a, run: [\"true\"]}]\n";
  text += std::string(1, '\0') + "  - id: dropped\n";
  write(d / "g.yaml", text);
  for (const char *command : {"validate", "plan", "run"}) {
    Result r = run({command, "g.yaml"}, in(d));
    EXPECT_EQ(r.exit_code, 2) << command << r.out << r.err;
    EXPECT_NE(r.err.find("g.yaml:5:1: the file holds a NUL byte"), std::string::npos) << r.err;
  }
}

TEST(Input, ATreeAsDeepAsValidateAcceptsRunsPlansAndShows) {
  TempDir d;
  std::string tasks = "{id: leaf, run: [\"true\"]}";
  for (int i = 31; i > 0; --i) tasks = "{id: t" + std::to_string(i) + ", tasks: [" + tasks + "]}";
  write(d / "deep.yaml", "version: 1\ngoals:\n  - id: deep\n    tasks: [" + tasks + "]\n");
  for (std::vector<std::string> args : {std::vector<std::string>{"validate", "deep.yaml"},
                                        {"plan", "deep.yaml"},
                                        {"run", "deep.yaml"},
                                        {"status", "--format", "tree"},
                                        {"status", "--format", "dot"},
                                        {"status"}}) {
    Result r = run(args, in(d));
    EXPECT_EQ(r.exit_code, 0) << args[0] << "\n" << r.out << r.err;
  }
  Result tree = run({"status", "--format", "tree"}, in(d));
  EXPECT_NE(tree.out.find("leaf  [done]"), std::string::npos) << tree.out;
  Result plan = run({"plan", "deep.yaml"}, in(d));
  EXPECT_NE(plan.out.find("leaf"), std::string::npos) << plan.out;
}

TEST(Input, ARelativeCommandIsFoundInTheWorkspaceThenBesideTheGoalFile) {
  TempDir d;
  fs::create_directories(d / "pipelines");
  write(d / "pipelines/agent.sh", "#!/bin/sh\necho \"agent in $PWD\" >> \"$OUT/ran\"\n");
  fs::permissions(d / "pipelines/agent.sh", fs::perms::owner_all);
  write(d / "pipelines/g.yaml", "version: 1\ngoals:\n  - id: g\n    env: {OUT: \"" +
                                    d.path().string() +
                                    "\"}\n    run: [./agent.sh]\n    tasks:\n"
                                    "      - {id: spawned, session_policy: spawn}\n"
                                    "      - {id: pinned}\n");
  Result v = run({"validate", "pipelines/g.yaml"}, in(d));
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_EQ(v.err.find("warning"), std::string::npos) << v.err;
  // Outside git a spawned session is an empty folder: the script beside the goal file runs.
  Result r = run({"run", "pipelines/g.yaml"}, in(d));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto ran = lines(d / "ran");
  ASSERT_EQ(ran.size(), 2u);
  EXPECT_NE(ran[0].find(".goalkeeper/sessions/g/"), std::string::npos) << ran[0];
  EXPECT_EQ(ran[1], "agent in " + d.path().string());
  // A workspace that holds its own copy runs that one.
  write(d / "agent.sh", "#!/bin/sh\necho mine >> \"$OUT/ran\"\n");
  fs::permissions(d / "agent.sh", fs::perms::owner_all);
  write(d / "pipelines/h.yaml", "version: 1\ngoals:\n  - id: h\n    env: {OUT: \"" +
                                    d.path().string() +
                                    "\"}\n    run: [./agent.sh]\n    tasks: [{id: pinned}]\n");
  ASSERT_EQ(run({"run", "pipelines/h.yaml"}, in(d)).exit_code, 0);
  EXPECT_EQ(lines(d / "ran").back(), "mine");
}

TEST(Input, ValidateAndPlanSayWhenNoPlaceHoldsARelativeCommand) {
  TempDir d;
  write(d / "g.yaml",
        "version: 1\ngoals:\n  - id: g\n    tasks:\n"
        "      - {id: a, run: [./missing.sh]}\n      - {id: b, run: [sh, -c, 'true']}\n");
  for (const char *command : {"validate", "plan"}) {
    Result r = run({command, "g.yaml"}, in(d));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("warning: goal g, task a: run[0] './missing.sh' is not in " +
                         d.path().string() + " (here, beside the goal file)"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("task b"), std::string::npos) << r.err;
  }
  Result j = run({"validate", "g.yaml", "--json"}, in(d));
  EXPECT_NE(j.out.find("\"warnings\":[\"goal g, task a"), std::string::npos) << j.out;
}

}  // namespace
}  // namespace gk::runner_test
