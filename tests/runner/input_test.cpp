// What the command accepts it can carry through: a file the plugin validates runs, plans and
// shows; a file it cannot pass to the plugin whole is refused with where.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace gk::runner_test {
namespace {

Options in(const TempDir &d) {
  Options o;
  o.cwd = d.path();
  o.env["GOALKEEPER_PLUGIN"] = plugin_path();
  return o;
}

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

}  // namespace
}  // namespace gk::runner_test
