// Commands that only read, or that fail, write nothing: no state, no folder, no change.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "harness.hpp"

namespace gk::runner_test {
namespace {

// The names in the folder, sorted.
std::vector<std::string> listing(const fs::path &dir) {
  std::vector<std::string> names;
  for (const auto &e : fs::recursive_directory_iterator(dir))
    names.push_back(fs::relative(e.path(), dir).string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string bytes_of(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(NoWrite, ReadingCommandsInAnEmptyFolderSayThereIsNoStateAndCreateNothing) {
  TempDir d;
  for (std::vector<std::string> args : {std::vector<std::string>{"status"},
                                        {"status", "--format", "tree"},
                                        {"status", "--json"},
                                        {"events"},
                                        {"events", "--json"}}) {
    Result r = run(args, in(d));
    EXPECT_EQ(r.exit_code, 0) << args[0] << r.out << r.err;
    EXPECT_NE((r.out + r.err).find("no state at " + (d / ".goalkeeper/state.db").string()),
              std::string::npos)
        << r.out << r.err;
  }
  EXPECT_TRUE(listing(d.path()).empty()) << listing(d.path()).size();
  Result elsewhere = run({"--state", (d / "nonexistent/dir/state.db").string(), "status"}, in(d));
  EXPECT_EQ(elsewhere.exit_code, 0) << elsewhere.err;
  EXPECT_NE(elsewhere.out.find("no state at"), std::string::npos) << elsewhere.out;
  EXPECT_FALSE(fs::exists(d / "nonexistent"));
  Result json = run({"status", "--json"}, in(d));
  EXPECT_EQ(json.out, "{\"goals\":[]}\n");
}

TEST(NoWrite, ReadingCommandsLeaveAStateAsTheyFoundIt) {
  TempDir d;
  write(d / "g.yaml", "version: 1\ngoals:\n  - {id: g, tasks: [{id: a, run: [\"true\"]}]}\n");
  ASSERT_EQ(run({"run", "g.yaml"}, in(d)).exit_code, 0);
  const fs::path state = d / ".goalkeeper/state.db";
  const std::string before = bytes_of(state);
  for (std::vector<std::string> args : {std::vector<std::string>{"status"},
                                        {"status", "--format", "mermaid"},
                                        {"events", "--json"},
                                        {"logs", "g/a#1"}}) {
    Result r = run(args, in(d));
    EXPECT_EQ(r.exit_code, 0) << args[0] << r.err;
  }
  EXPECT_EQ(bytes_of(state), before);
}

TEST(NoWrite, CommandsThatFailOnTheirInputWriteNothing) {
  TempDir d;
  write(d / "bad.yaml", "version: 1\ngoals: [{id: g, tasks: [{id: a}]}]\n");
  write(d / "good.yaml", "version: 1\ngoals: [{id: g, tasks: [{id: a, run: [\"true\"]}]}]\n");
  write(d / "bad-config.yaml", "limits: {max_parallel: 4294967296}\n");
  const auto before = listing(d.path());
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  for (const Case &c : std::vector<Case>{
           {{"run", "bad.yaml"}, "bad.yaml:2:"},
           {{"step", "bad.yaml"}, "bad.yaml:2:"},
           {{"run", "good.yaml", "--config", "bad-config.yaml"},
            "config: limits.max_parallel is out of range (from 1 to 1000000), found 4294967296"},
           {{"run", "good.yaml", "--goal", "other"}, "--goal other: good.yaml has no such goal"},
           {{"approve", "g/a"}, "no state at"},
           {{"signal", "--type", "human_approval", "--key", "k", "--status", "pass"},
            "no state at"},
           {{"pause", "g"}, "no state at"},
       }) {
    Result r = run(c.args, in(d));
    EXPECT_EQ(r.exit_code, 2) << c.args[0] << r.out << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("cannot open the state"), std::string::npos) << r.err;
    EXPECT_EQ(listing(d.path()), before) << c.args[0] << " " << c.args[1];
  }
}

TEST(NoWrite, AFailedLoadIntoAnExistingStateChangesNothing) {
  TempDir d;
  write(d / "good.yaml", "version: 1\ngoals: [{id: g, tasks: [{id: a, run: [\"true\"]}]}]\n");
  ASSERT_EQ(run({"run", "good.yaml"}, in(d)).exit_code, 0);
  Result events = run({"events"}, in(d));
  write(d / "bad.yaml", "version: 1\ngoals: [{id: h, tasks: [{id: a}]}]\n");
  EXPECT_EQ(run({"run", "bad.yaml"}, in(d)).exit_code, 2);
  EXPECT_EQ(run({"run", "good.yaml", "--goal", "nope"}, in(d)).exit_code, 2);
  EXPECT_EQ(run({"events"}, in(d)).out, events.out);
}

TEST(Commands, HelpCommandIsTheSameAsHelpOption) {
  TempDir d;
  Result a = run({"help", "run"}, in(d));
  Result b = run({"run", "--help"}, in(d));
  EXPECT_EQ(a.exit_code, 0);
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(run({"help"}, in(d)).out, run({"--help"}, in(d)).out);
  Result bad = run({"help", "frobnicate"}, in(d));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown command 'frobnicate'"), std::string::npos) << bad.err;
}

TEST(Commands, LogsJsonPrintsOneObjectPerLine) {
  TempDir d;
  write(d / "g.yaml",
        "version: 1\ngoals: [{id: g, tasks: [{id: a, run: [sh, -c, 'echo one; printf "
        "\"two\\n\\033[2J\"']}]}]\n");
  ASSERT_EQ(run({"run", "g.yaml"}, in(d)).exit_code, 0);
  Result r = run({"logs", "g/a#1", "--json"}, in(d));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\"job_key\":\"g/a#1\",\"line\":\"one\"}\n"
            "{\"job_key\":\"g/a#1\",\"line\":\"two\"}\n"
            "{\"job_key\":\"g/a#1\",\"line\":\"\\u001b[2J\"}\n");
}

}  // namespace
}  // namespace gk::runner_test
