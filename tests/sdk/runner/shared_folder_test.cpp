// Several runners on one folder (one state, one job registry), as the README allows: each job
// runs once, and a job one runner started is never "gone" to another, whose turn to step comes
// while it runs or after it ended but before its runner reported it.
#include <sys/wait.h>

#include <map>
#include <set>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace gk::runner_test {
namespace {

TEST(SharedFolder, ThreeRunnersRacingRunEveryKeyOnceAndLoseNoHealthyJob) {
  constexpr int kRounds = 5, kRunners = 3, kShards = 12;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    TempDir d;
    std::string y =
        "version: 1\ndefaults: {session_policy: spawn, timeout: 1m}\ngoals:\n  - id: c\n"
        "    env: {OUT: \"" +
        d.path().string() +
        "\"}\n    tasks:\n      - id: fan\n        parallel: true\n"
        "        run: [sh, -c, 'echo \"$GK_JOB_KEY\" >> \"$OUT/ran\"; sleep 0.2']\n"
        "        tasks:\n";
    for (int i = 1; i <= kShards; ++i) y += "          - {id: s" + std::to_string(i) + "}\n";
    y += "      - {id: last, session_policy: reuse, run: [sh, -c, 'echo \"$GK_JOB_KEY\" >> "
         "\"$OUT/ran\"']}\n";
    write(d / "c.yaml", y);
    Options o = in(d);
    std::vector<pid_t> pids;
    for (int r = 0; r < kRunners; ++r)
      pids.push_back(spawn({"run", "c.yaml", "--jobs", "4"}, o, d / ("out" + std::to_string(r)),
                           d / ("err" + std::to_string(r))));
    for (size_t r = 0; r < pids.size(); ++r) {
      bool timed_out = false;
      int code = wait_for(pids[r], std::chrono::seconds(60), &timed_out);
      EXPECT_FALSE(timed_out);
      EXPECT_EQ(code, 0) << read(d / ("out" + std::to_string(r)))
                         << read(d / ("err" + std::to_string(r)));
    }
    // Every key ran once, and only first attempts ran.
    auto ran = lines(d / "ran");
    std::multiset<std::string> keys(ran.begin(), ran.end());
    EXPECT_EQ(ran.size(), static_cast<size_t>(kShards + 1));
    for (int i = 1; i <= kShards; ++i)
      EXPECT_EQ(keys.count("c/s" + std::to_string(i) + "#1"), 1u) << "s" << i;
    EXPECT_EQ(keys.count("c/last#1"), 1u);
    // No healthy job was reclaimed, and no runner said it started a key another one started.
    Result events = run({"events", "--goal", "c"}, o);
    EXPECT_EQ(events.out.find("job_lost"), std::string::npos) << events.out;
    std::map<std::string, int> started;
    for (int r = 0; r < kRunners; ++r)
      for (const auto &line : lines(d / ("out" + std::to_string(r))))
        if (line.rfind("started  ", 0) == 0) ++started[line.substr(9, line.find(' ', 9) - 9)];
    for (const auto &[key, n] : started) EXPECT_EQ(n, 1) << key << " started by " << n;
  }
}

}  // namespace
}  // namespace gk::runner_test
