// Child jobs as the runner runs them: they overlap, --jobs and max_parallel cap them, timeouts and
// stop kill grandchildren too, retries see the failure in their prompt.
#include <signal.h>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace gk::runner_test {
namespace {

// A goal of n parallel spawn tasks t1..tn that record when they start and end.
std::string fan_out(const fs::path &out, int n, const std::string &goal_extra = "") {
  std::string y = "version: 1\ngoals:\n  - id: g\n    parallel: true\n    session_policy: spawn\n" +
                  goal_extra + "    env: {OUT: \"" + out.string() +
                  "\"}\n    run: [sh, -c, 'date +%s%N > \"$OUT/$GK_TASK_ID.start\"; sleep 0.6; "
                  "date +%s%N > \"$OUT/$GK_TASK_ID.end\"']\n    tasks:\n";
  for (int i = 1; i <= n; ++i) y += "      - {id: t" + std::to_string(i) + "}\n";
  return y;
}

std::vector<std::string> names(int n) {
  std::vector<std::string> v;
  for (int i = 1; i <= n; ++i) v.push_back("t" + std::to_string(i));
  return v;
}

TEST(Jobs, FanOutJobsReallyOverlapInTime) {
  TempDir d;
  fs::create_directory(d / "out");
  write(d / "g.yaml", fan_out(d / "out", 4));
  Result r = run({"run", "g.yaml"}, in(d));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(max_overlap(d / "out", names(4)), 4) << r.out;
}

TEST(Jobs, JobsOptionCapsRunningJobs) {
  TempDir d;
  fs::create_directory(d / "out");
  write(d / "g.yaml", fan_out(d / "out", 6));
  Result r = run({"run", "g.yaml", "--jobs", "2"}, in(d));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(max_overlap(d / "out", names(6)), 2) << r.out;
  EXPECT_EQ(lines(d / "out/t6.end").size(), 1u);
}

TEST(Jobs, MaxParallelOfTheGoalHolds) {
  TempDir d;
  fs::create_directory(d / "out");
  write(d / "g.yaml", fan_out(d / "out", 6, "    max_parallel: 3\n"));
  Result r = run({"run", "g.yaml"}, in(d));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(max_overlap(d / "out", names(6)), 3) << r.out;
}

TEST(Jobs, TimeoutKillsTheJobAndItsGrandchildren) {
  TempDir d;
  write(d / "g.yaml",
        "version: 1\ngoals:\n  - id: g\n    tasks:\n      - id: slow\n        timeout: 1\n"
        "        run: [sh, -c, 'sleep 30 & echo $! > child.pid; wait']\n");
  Result r = run({"run", "g.yaml"}, in(d));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  auto pid = lines(d / "child.pid");
  ASSERT_EQ(pid.size(), 1u);
  EXPECT_TRUE(eventually([&] { return !process_exists(std::stoi(pid[0])); },
                         std::chrono::milliseconds(5000)))
      << "the grandchild " << pid[0] << " still runs";
  EXPECT_NE(r.out.find("failed"), std::string::npos) << r.out;
}

TEST(Jobs, StopCancelsRunningJobsAndTheirGrandchildren) {
  TempDir d;
  write(d / "g.yaml",
        "version: 1\ngoals:\n  - id: g\n    tasks:\n      - id: slow\n"
        "        run: [sh, -c, 'sleep 30 & echo $! > child.pid; wait']\n");
  Options o = in(d);
  pid_t runner = spawn({"run", "g.yaml"}, o, d / "run.out", d / "run.err");
  ASSERT_TRUE(eventually([&] { return lines(d / "child.pid").size() == 1; }));
  Result stop = run({"stop", "g"}, o);
  EXPECT_EQ(stop.exit_code, 0) << stop.err;
  bool timed_out = false;
  int code = wait_for(runner, std::chrono::milliseconds(20000), &timed_out);
  EXPECT_FALSE(timed_out) << read(d / "run.out");
  EXPECT_EQ(code, 3) << read(d / "run.out") << read(d / "run.err");
  int child = std::stoi(lines(d / "child.pid")[0]);
  EXPECT_TRUE(eventually([&] { return !process_exists(child); }, std::chrono::milliseconds(5000)))
      << "the grandchild " << child << " still runs";
}

TEST(Jobs, RetryRunsAgainWithTheFailureInThePrompt) {
  TempDir d;
  write(d / "g.yaml",
        "version: 1\ngoals:\n  - id: g\n    tasks:\n      - id: flaky\n"
        "        max_retries: 1\n"
        "        run: [sh, -c, 'cp \"$GK_PROMPT_FILE\" prompt-$GK_ATTEMPT.md; "
        "if [ \"$GK_ATTEMPT\" = 1 ]; then echo boom; exit 3; fi']\n");
  Result r = run({"run", "g.yaml"}, in(d));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string first = read(d / "prompt-1.md"), second = read(d / "prompt-2.md");
  EXPECT_EQ(first.find("Attempt 1 failed"), std::string::npos) << first;
  EXPECT_NE(second.find("Attempt 1 failed"), std::string::npos) << second;
  EXPECT_NE(second.find("exit code 3"), std::string::npos) << second;
  EXPECT_NE(read(d / ".goalkeeper/logs/g/flaky#1.log").find("boom"), std::string::npos);
}

TEST(Jobs, FailedGoalExits1) {
  TempDir d;
  write(d / "g.yaml",
        "version: 1\ngoals:\n  - id: g\n    tasks:\n      - {id: bad, run: [\"false\"]}\n");
  Result r = run({"run", "g.yaml"}, in(d));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("goal g failed"), std::string::npos) << r.out;
}

TEST(Jobs, JobsGetNeitherTheRunnersSecretsNorWhatTheConfigWithholdsButTheRest) {
  TempDir d;
  write(d / "g.yaml",
        "version: 1\ngoals:\n  - id: g\n    tasks:\n"
        "      - {id: a, run: [sh, -c, 'env > \"$GK_WORKSPACE/env.txt\"']}\n");
  write(d / "config.yaml",
        "webhook: {secret_env: MY_HOOK_SECRET}\ncentaur: {token_env: MY_BOT_TOKEN}\n"
        "jobs: {withhold_env: [CLOUD_*, DEPLOY_KEY]}\n");
  Options o = in(d);
  o.env["MY_HOOK_SECRET"] = "hook-secret-value";
  o.env["GK_SIGNAL_TOKEN"] = "signal-token-value";
  o.env["MY_BOT_TOKEN"] = "bot-token-value";
  o.env["CLOUD_SECRET_KEY"] = "cloud-secret-value";
  o.env["CLOUD_REGION"] = "cloud-region-value";
  o.env["DEPLOY_KEY"] = "deploy-key-value";
  o.env["DEPLOY_KEYS_URL"] = "not-a-prefix-value";
  o.env["GITHUB_TOKEN"] = "github-token-value";
  o.env["GK_PLAIN_VARIABLE"] = "plain-value";
  Result r = run({"run", "g.yaml", "--config", "config.yaml"}, o);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string env = read(d / "env.txt");
  for (const char *secret : {"hook-secret-value", "signal-token-value", "bot-token-value",
                             "cloud-secret-value", "cloud-region-value", "deploy-key-value"})
    EXPECT_EQ(env.find(secret), std::string::npos) << secret << " reached the job";
  // DEPLOY_KEY is a name, not a prefix.
  EXPECT_NE(env.find("DEPLOY_KEYS_URL=not-a-prefix-value"), std::string::npos) << env;
  // Sessions push and open pull requests with the GitHub token.
  EXPECT_NE(env.find("GITHUB_TOKEN=github-token-value"), std::string::npos) << env;
  EXPECT_NE(env.find("GK_PLAIN_VARIABLE=plain-value"), std::string::npos) << env;
}

TEST(Jobs, AWithheldEnvironmentListThatIsNotOneIsALoadErrorNamingIt) {
  TempDir d;
  write(d / "g.yaml",
        "version: 1\ngoals:\n  - id: g\n    tasks:\n      - {id: a, run: [\"true\"]}\n");
  write(d / "config.yaml", "jobs: {withhold_env: [\"A=B\"]}\n");
  Result r = run({"run", "g.yaml", "--config", "config.yaml"}, in(d));
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("jobs.withhold_env"), std::string::npos) << r.err;
  EXPECT_TRUE(!fs::exists(d / ".goalkeeper/jobs") || fs::is_empty(d / ".goalkeeper/jobs"))
      << "a job ran with a config it refused";
}

}  // namespace
}  // namespace gk::runner_test
