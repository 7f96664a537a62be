// The command as a host protocol: `step --no-start` prints what to run and starts nothing, and
// `job ...` reports what the CI did, so a CI that starts its own child jobs drives a goal with
// two commands. The test plays that CI: it runs each offered job itself (here, by writing the
// result the job would write) and reports it.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <set>

#include "harness.hpp"

namespace gk::runner_test {
namespace {

namespace json = boost::json;

// A fan-out of three spawned sessions, then one pinned task. Run here, each job would leave a
// file behind: none may appear, since --no-start starts nothing.
void write_fanout(const TempDir &d) {
  write(d / "ci.yaml",
        "version: 1\ndefaults: {session_policy: spawn}\ngoals:\n  - id: ci\n"
        "    env: {OUT: \"" +
            d.path().string() +
            "\"}\n    tasks:\n      - id: fan\n        parallel: true\n"
            "        run: [sh, -c, 'touch \"$OUT/ran-here-$GK_TASK_ID\"']\n"
            "        tasks: [{id: a}, {id: b}, {id: c}]\n"
            "      - {id: last, session_policy: reuse, run: [sh, -c, 'touch "
            "\"$OUT/ran-here-last\"']}\n");
}

std::vector<json::object> actions_of(const Result &r, const std::string &type) {
  std::vector<json::object> out;
  json::value v = json::parse(r.out);
  for (const auto &a : v.at("actions").as_array())
    if (a.at("type").as_string() == type) out.push_back(a.as_object());
  return out;
}

TEST(HostProtocol, StepNoStartOffersJobsThatOnlyTheCiStartsAndReports) {
  TempDir d;
  write_fanout(d);
  const Options o = in(d);
  std::map<std::string, int> offered_first;  // key -> how many times the CI started it
  bool finished = false;
  for (int round = 0; round < 40 && !finished; ++round) {
    Result r = run({"step", "ci.yaml", "--no-start", "--json", "--jobs", "2"}, o);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    auto runs = actions_of(r, "run_job");
    EXPECT_LE(runs.size(), 2u) << "--jobs 2 offers at most two";
    for (const auto &a : runs) {
      const std::string key(a.at("job_key").as_string());
      EXPECT_FALSE(a.at("command").as_array().empty());
      EXPECT_TRUE(a.at("env").as_object().contains("GK_JOB_KEY"));
      EXPECT_TRUE(a.contains("prompt"));
      ++offered_first[key];
      Result s = run({"job", "started", key, "--host-ref", "https://ci.example/build/" + key}, o);
      ASSERT_EQ(s.exit_code, 0) << s.out << s.err;
      const std::string result = (d / "result.json").string();
      write(result, R"({"status":"done","summary":"the CI ran it"})");
      Result f = run({"job", "finished", key, "--exit-code", "0", "--result-file", result}, o);
      ASSERT_EQ(f.exit_code, 0) << f.out << f.err;
    }
    finished = !actions_of(r, "goal_finished").empty();
  }
  ASSERT_TRUE(finished);
  EXPECT_EQ(offered_first.size(), 4u);
  for (const auto &[key, n] : offered_first) {
    EXPECT_EQ(n, 1) << key << " offered after it was reported started";
    EXPECT_EQ(key.substr(key.size() - 2), "#1") << key;
  }
  for (const char *task : {"a", "b", "c", "last"})
    EXPECT_FALSE(fs::exists(d / (std::string("ran-here-") + task))) << task << " ran locally";
  EXPECT_FALSE(fs::exists(d / ".goalkeeper" / "jobs" / "keys.lock")) << "no local registry used";
  Result t = run({"status", "ci", "--json"}, o);
  EXPECT_EQ(t.exit_code, 0);
  Result task = run({"events", "--goal", "ci", "--json"}, o);
  EXPECT_NE(task.out.find("https://ci.example/build/ci/a#1"), std::string::npos) << task.out;
}

TEST(HostProtocol, ARunJobIsOfferedAgainUntilItIsReportedStarted) {
  TempDir d;
  write_fanout(d);
  const Options o = in(d);
  Result first = run({"step", "ci.yaml", "--no-start", "--json", "--jobs", "1"}, o);
  Result again = run({"step", "--no-start", "--json", "--jobs", "1"}, o);
  ASSERT_EQ(actions_of(first, "run_job").size(), 1u) << first.out;
  ASSERT_EQ(actions_of(again, "run_job").size(), 1u) << again.out;
  const std::string key(actions_of(first, "run_job")[0].at("job_key").as_string());
  EXPECT_EQ(actions_of(again, "run_job")[0].at("job_key").as_string(), key)
      << "a CI that crashed before starting it loses nothing";
  ASSERT_EQ(run({"job", "started", key}, o).exit_code, 0);
  Result later = run({"step", "--no-start", "--json", "--jobs", "1"}, o);
  for (const auto &a : actions_of(later, "run_job")) EXPECT_NE(a.at("job_key").as_string(), key);
  // The status shows the job as the CI's, running.
  Result s = run({"status", "ci"}, o);
  EXPECT_NE(s.out.find(key), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("running"), std::string::npos) << s.out;
}

TEST(HostProtocol, StepNoStartExitsThreeWhenOnlyAPersonCanGoOn) {
  TempDir d;
  write(d / "r.yaml", R"(version: 1
goals:
  - id: r
    tasks:
      - {id: work, run: ["true"]}
      - {id: look, stage: human_review}
)");
  const Options o = in(d);
  Result r = run({"step", "r.yaml", "--no-start"}, o);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("run_job       r/work#1"), std::string::npos) << r.out;
  ASSERT_EQ(run({"job", "started", "r/work#1"}, o).exit_code, 0);
  ASSERT_EQ(run({"job", "finished", "r/work#1", "--exit-code", "0"}, o).exit_code, 0);
  Result w = run({"step", "--no-start"}, o);
  EXPECT_EQ(w.exit_code, 3) << w.out << w.err;
  EXPECT_NE(w.out.find("await_review  r/look"), std::string::npos) << w.out;
  ASSERT_EQ(run({"approve", "r/look"}, o).exit_code, 0);
  Result done = run({"step", "--no-start"}, o);
  EXPECT_EQ(done.exit_code, 0) << done.out << done.err;
  EXPECT_NE(done.out.find("goal_finished r  done"), std::string::npos) << done.out;
}

TEST(HostProtocol, AFailedJobReportFailsTheGoalAndStepSaysSo) {
  TempDir d;
  write(d / "f.yaml", "version: 1\ngoals:\n  - id: f\n    tasks: [{id: only, run: [\"x\"]}]\n");
  const Options o = in(d);
  ASSERT_EQ(run({"step", "f.yaml", "--no-start"}, o).exit_code, 0);
  ASSERT_EQ(run({"job", "started", "f/only#1"}, o).exit_code, 0);
  ASSERT_EQ(run({"job", "finished", "f/only#1", "--exit-code", "7"}, o).exit_code, 0);
  Result r = run({"step", "--no-start"}, o);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("goal_finished f  failed"), std::string::npos) << r.out;
}

TEST(HostProtocol, JobReportsRefuseBadUseUnknownKeysAndAMissingStateAndWriteNothing) {
  TempDir d;
  const Options o = in(d);
  Result none = run({"job", "started", "g/a#1"}, o);
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("no state"), std::string::npos) << none.err;
  EXPECT_FALSE(fs::exists(d / ".goalkeeper")) << "a report creates no state";

  write_fanout(d);
  ASSERT_EQ(run({"step", "ci.yaml", "--no-start", "--jobs", "1"}, o).exit_code, 0);
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"job", "finished", "ci/a#1"}, "--exit-code"},
      {{"job", "start-failed", "ci/a#1"}, "--reason"},
      {{"job", "started", "ci/a#1", "--reason", "x"}, "--reason goes with `job start-failed`"},
      {{"job", "heartbeat", "ci/a#1", "--host-ref", "x"}, "--host-ref goes with `job started`"},
      {{"job", "exploded", "ci/a#1"}, "unknown job report 'exploded'"},
      {{"job", "started", "ci/zz#1"}, "zz"},
      {{"job", "started", "ci/a#1", "--host-ref", "https://bot:hunter2@ci.example/7"},
       "credentials"},
      {{"step", "--no-start", "--auto-approve"}, "--auto-approve does not go with --no-start"},
  };
  for (const Case &c : cases) {
    Result r = run(c.args, o);
    EXPECT_EQ(r.exit_code, 2) << c.args[1] << ": " << r.out << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("hunter2"), std::string::npos) << "no secret in the message";
  }
  // None of that changed the job: it is still offered.
  Result again = run({"step", "--no-start", "--json", "--jobs", "1"}, o);
  EXPECT_EQ(actions_of(again, "run_job").size(), 1u) << again.out;
}

}  // namespace
}  // namespace gk::runner_test
