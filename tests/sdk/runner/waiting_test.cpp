// `run` stops, exit 3, as soon as what is left waits on a person, whatever the shape of the wait,
// and says the way on.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace gk::runner_test {
namespace {

TEST(Waiting, ACompoundGateOfHumanApprovalsWaitsOnAPerson) {
  TempDir d;
  write(d / "g.yaml", R"(version: 1
goals:
  - id: g
    tasks:
      - {id: work, run: ["true"]}
      - id: sign
        wait_for:
          type: compound
          all:
            - {type: human_approval, key: legal}
            - {type: human_approval, key: security}
)");
  Result r = run({"run", "g.yaml"}, in(d));
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("g/sign awaits approval"), std::string::npos) << r.out;
  // The way on it names works: one signal for the task resolves both parts.
  Result s =
      run({"signal", "--type", "human_approval", "--task", "g/sign", "--status", "pass"}, in(d));
  EXPECT_EQ(s.exit_code, 0) << s.out << s.err;
  Result again = run({"run", "g.yaml"}, in(d));
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
}

TEST(Waiting, ACompoundGateWithAMachinePartLeftKeepsRunning) {
  TempDir d;
  // The gh_ci part polls a GitHub nobody answers (a closed port): run goes on waiting for it.
  write(d / "g.yaml", R"(version: 1
goals:
  - id: g
    tasks:
      - id: sign
        wait_for:
          type: compound
          any:
            - {type: human_approval, key: legal}
            - {type: gh_ci, repo: acme/web, pr: 1}
)");
  write(d / "config.yaml",
        "github: {api_url: 'http://127.0.0.1:9', graphql_url: "
        "'http://127.0.0.1:9/graphql'}\n");
  Options o = in(d);
  o.timeout = std::chrono::seconds(3);
  Result r = run({"run", "g.yaml", "--config", "config.yaml"}, o);
  EXPECT_TRUE(r.timed_out) << "exit " << r.exit_code << r.out << r.err;
}

TEST(Waiting, APlanAwaitingApprovalNamesApproveAndRejectNotResume) {
  TempDir d;
  Result r = run({"run", examples_dir() + "/spec.yaml", "--spec"}, in(d));
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("goalkeeper approve spec-demo"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("goalkeeper reject spec-demo"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("resume"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace gk::runner_test
