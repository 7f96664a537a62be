// `goalkeeper run --dry-run`: says what it would run and starts nothing.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace gk::runner_test {
namespace {

TEST(DryRun, RunDryRunSaysWhatWouldRunAndStartsNothing) {
  TempDir d;
  write(d / "g.yaml",
        "version: 1\ngoals:\n  - {id: g, tasks: [{id: a, run: [touch, ran]}, {id: b, stage: "
        "human_review}]}\n");
  Result r = run({"run", "g.yaml", "--dry-run"}, in(d));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("would run g/a#1: touch ran"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nothing started"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(d / "ran"));
  // A real run afterwards runs the job once.
  Result real = run({"run", "g.yaml", "--auto-approve"}, in(d));
  EXPECT_EQ(real.exit_code, 0) << real.out << real.err;
  EXPECT_TRUE(fs::exists(d / "ran"));
}

TEST(DryRun, DiscoverWithoutTriggersIsAUsageError) {
  TempDir d;
  write(d / "g.yaml", "version: 1\ngoals:\n  - {id: g, tasks: [{id: a, run: [\"true\"]}]}\n");
  Result r = run({"discover", "g.yaml", "--once"}, in(d));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("declares no triggers"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace gk::runner_test
