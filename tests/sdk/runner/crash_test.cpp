// A runner SIGKILLed at random moments during a 100-task fan-out and started again, many times:
// the goal finishes and every job ran exactly once (each job appends its key to a file).
#include <signal.h>
#include <sys/wait.h>

#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace gk::runner_test {
namespace {

TEST(Crash, KilledRunnerResumesAndNoJobRunsTwice) {
  TempDir d;
  std::string y =
      "version: 1\ngoals:\n  - id: g\n    parallel: true\n    session_policy: spawn\n"
      "    env: {OUT: \"" +
      d.path().string() +
      "\"}\n"
      "    run: [sh, -c, 'echo \"$GK_JOB_KEY\" >> \"$OUT/ran\"; sleep 0.3']\n    tasks:\n";
  for (int i = 1; i <= 100; ++i) y += "      - {id: t" + std::to_string(i) + "}\n";
  write(d / "g.yaml", y);
  Options o = in(d);

  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pause_ms(20, 300);
  int kills = 0;
  bool finished_alone = false;
  for (int round = 0; round < 14 && !finished_alone; ++round) {
    pid_t pid = spawn({"run", "g.yaml", "--jobs", "8"}, o, d / "run.out", d / "run.err");
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      finished_alone = true;
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << "seed " << seed << ": " << read(d / "run.out") << read(d / "run.err");
      break;
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    ++kills;
  }
  EXPECT_GE(kills, 10) << "seed " << seed << ": the goal finished before enough kills";
  Result last = run({"run", "g.yaml", "--jobs", "8"}, o);
  ASSERT_EQ(last.exit_code, 0) << "seed " << seed << ": " << last.out << last.err;

  auto ran = lines(d / "ran");
  std::multiset<std::string> keys(ran.begin(), ran.end());
  std::set<std::string> expected;
  for (int i = 1; i <= 100; ++i) expected.insert("g/t" + std::to_string(i) + "#1");
  EXPECT_EQ(ran.size(), 100u) << "seed " << seed;
  for (const auto &k : expected) EXPECT_EQ(keys.count(k), 1u) << k << " (seed " << seed << ")";
}

}  // namespace
}  // namespace gk::runner_test
