// LocalJobs with real processes: jobs run under gk-supervise, the registry survives a runner that
// goes away, and nothing a test starts outlives it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "jobs/local_jobs.hpp"
#include "jobs/registry.hpp"

namespace fs = std::filesystem;
using gk::jobs::JobEnd;
using gk::jobs::JobSpec;
using gk::jobs::LocalJobs;
using gk::jobs::StartResult;

namespace {

constexpr int64_t kGraceMs = 300;

std::string read_file(const fs::path &path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void touch(const fs::path &path) {
  std::ofstream(path) << "go\n";
}

// Polls cond for up to limit_ms.
template <typename Cond>
bool eventually(Cond cond, int64_t limit_ms = 15000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

bool gone(pid_t pid) {
  return gk::jobs::process_start(pid) < 0;
}

// Reaps until every key in keys ended, or limit_ms passed.
std::map<std::string, JobEnd> wait_ends(LocalJobs &jobs, const std::vector<std::string> &keys,
                                        int64_t limit_ms = 8000) {
  std::map<std::string, JobEnd> ends;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms);
  while (ends.size() < keys.size() && std::chrono::steady_clock::now() < deadline) {
    for (JobEnd &end : jobs.reap()) ends[end.job_key] = end;
    if (ends.size() < keys.size()) jobs.wait_any(100);
  }
  return ends;
}

class LocalJobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/gk-jobs-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
    registry_ = root_ / "registry";
    work_ = root_ / "work";
    fs::create_directories(work_);
  }

  // Whatever a failed test left running is stopped by its recorded pid and process group only.
  void TearDown() override {
    std::error_code ec;
    if (fs::is_directory(registry_, ec)) {
      for (const auto &item : fs::directory_iterator(registry_)) {
        if (item.path().extension() != ".job") continue;
        auto job = gk::jobs::read_job(item.path());
        if (!job || !job->run) continue;
        const gk::jobs::Record *run = &*job->run;
        auto pid = static_cast<pid_t>(run->get_int("pid"));
        auto supervisor = static_cast<pid_t>(run->get_int("supervisor_pid"));
        if (pid > 0 && gk::jobs::process_start(pid) == run->get_int("start")) {
          killpg(static_cast<pid_t>(run->get_int("pgid")), SIGKILL);
        }
        // The launcher exits once its jobs ended and its LocalJobs is gone; reaped here, it
        // leaves no zombie.
        bool reaped = eventually([&] { return waitpid(supervisor, nullptr, WNOHANG) != 0; }, 10000);
        if (!reaped && gk::jobs::process_start(supervisor) == run->get_int("supervisor_start")) {
          kill(supervisor, SIGKILL);
          waitpid(supervisor, nullptr, 0);
        }
      }
    }
    fs::remove_all(root_, ec);
  }

  JobSpec spec(const std::string &key, std::vector<std::string> argv) {
    JobSpec s;
    s.job_key = key;
    s.argv = std::move(argv);
    s.workdir = work_;
    s.log_path = log_for(key);
    return s;
  }

  JobSpec shell(const std::string &key, const std::string &script) {
    return spec(key, {"sh", "-c", script});
  }

  fs::path log_for(const std::string &key) { return root_ / "logs" / gk::jobs::safe_name(key); }

  std::unique_ptr<LocalJobs> make_jobs() {
    return std::make_unique<LocalJobs>(registry_, kGraceMs, GK_SUPERVISE_PATH);
  }

  fs::path root_, registry_, work_;
};

TEST_F(LocalJobsTest, JobRunsWithArgvEnvAndWorkdirAndItsOutputLandsInTheLog) {
  ASSERT_EQ(setenv("GK_FROM_RUNNER", "inherited", 1), 0);
  auto jobs = make_jobs();
  JobSpec s = spec("g/t#1", {"sh", "-c",
                             "echo \"arg=$1 env=$GK_TEST_VAR runner=$GK_FROM_RUNNER pwd=$(pwd)\"; "
                             "echo to-stderr >&2",
                             "sh", "two words; $(not expanded)"});
  s.env = {{"GK_TEST_VAR", "a value\nwith a newline"}};
  s.log_path = root_ / "logs" / "deep" / "nested" / "job.log";
  EXPECT_EQ(jobs->start(s), StartResult::started);
  auto ends = wait_ends(*jobs, {"g/t#1"});
  ASSERT_EQ(ends.count("g/t#1"), 1u);
  EXPECT_EQ(ends["g/t#1"].exit_code, 0);
  EXPECT_FALSE(ends["g/t#1"].timed_out);
  EXPECT_FALSE(ends["g/t#1"].cancelled);
  std::string log = read_file(s.log_path);
  EXPECT_NE(log.find("arg=two words; $(not expanded) env=a value\nwith a newline "
                     "runner=inherited pwd=" +
                     work_.string() + "\n"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("to-stderr\n"), std::string::npos) << log;
  EXPECT_EQ(jobs->alive("g/t#1"), 0);
  unsetenv("GK_FROM_RUNNER");
}

TEST_F(LocalJobsTest, ExitCodesAreReportedAndASignalIs128PlusItsNumber) {
  auto jobs = make_jobs();
  jobs->start(shell("g/ok#1", "exit 0"));
  jobs->start(shell("g/three#1", "exit 3"));
  jobs->start(shell("g/killed#1", "kill -9 $$"));
  auto ends = wait_ends(*jobs, {"g/ok#1", "g/three#1", "g/killed#1"});
  ASSERT_EQ(ends.size(), 3u);
  EXPECT_EQ(ends["g/ok#1"].exit_code, 0);
  EXPECT_EQ(ends["g/three#1"].exit_code, 3);
  EXPECT_EQ(ends["g/killed#1"].exit_code, 128 + SIGKILL);
  EXPECT_TRUE(jobs->reap().empty());
}

TEST_F(LocalJobsTest, TimeoutKillsTheJobAndTheGrandchildItStarted) {
  auto jobs = make_jobs();
  JobSpec s = shell("g/slow#1", "sleep 60 & echo $! > grandchild.pid; wait");
  s.timeout_s = 1;
  auto started = std::chrono::steady_clock::now();
  jobs->start(s);
  ASSERT_TRUE(eventually([&] { return !read_file(work_ / "grandchild.pid").empty(); }));
  auto grandchild = static_cast<pid_t>(std::stoi(read_file(work_ / "grandchild.pid")));
  EXPECT_FALSE(gone(grandchild));
  EXPECT_EQ(jobs->alive("g/slow#1"), 1);

  auto ends = wait_ends(*jobs, {"g/slow#1"});
  ASSERT_EQ(ends.count("g/slow#1"), 1u);
  EXPECT_TRUE(ends["g/slow#1"].timed_out);
  EXPECT_FALSE(ends["g/slow#1"].cancelled);
  EXPECT_NE(ends["g/slow#1"].reason.find("timed out"), std::string::npos);
  EXPECT_EQ(ends["g/slow#1"].exit_code, 128 + SIGTERM);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));
  EXPECT_TRUE(eventually([&] { return gone(grandchild); }, 10000));
  EXPECT_NE(read_file(log_for("g/slow#1")).find("timed out"), std::string::npos);
}

TEST_F(LocalJobsTest, CancelKillsTheJobAndTheGrandchildItStarted) {
  auto jobs = make_jobs();
  jobs->start(shell("g/long#1", "sleep 60 & echo $! > grandchild.pid; wait"));
  ASSERT_TRUE(eventually([&] { return !read_file(work_ / "grandchild.pid").empty(); }));
  auto grandchild = static_cast<pid_t>(std::stoi(read_file(work_ / "grandchild.pid")));

  jobs->cancel("g/long#1", "goal stopped");
  auto ends = wait_ends(*jobs, {"g/long#1"}, 15000);
  ASSERT_EQ(ends.count("g/long#1"), 1u);
  EXPECT_TRUE(ends["g/long#1"].cancelled);
  EXPECT_FALSE(ends["g/long#1"].timed_out);
  EXPECT_EQ(ends["g/long#1"].reason, "goal stopped");
  EXPECT_TRUE(eventually([&] { return gone(grandchild); }, 10000));

  // Cancelling what ended, or what never existed, changes nothing.
  jobs->cancel("g/long#1", "again");
  jobs->cancel("g/nobody#1", "unknown");
  EXPECT_TRUE(jobs->reap().empty());
  EXPECT_EQ(jobs->alive("g/nobody#1"), -1);
}

TEST_F(LocalJobsTest, AJobThatIgnoresTermIsKilledAfterTheGrace) {
  auto jobs = make_jobs();
  jobs->start(shell("g/stubborn#1", "trap '' TERM; touch ready; while :; do sleep 0.05; done"));
  ASSERT_TRUE(eventually([&] { return fs::exists(work_ / "ready"); }));
  auto asked = std::chrono::steady_clock::now();
  jobs->cancel("g/stubborn#1", "stop");
  auto ends = wait_ends(*jobs, {"g/stubborn#1"}, 15000);
  ASSERT_EQ(ends.count("g/stubborn#1"), 1u);
  EXPECT_EQ(ends["g/stubborn#1"].exit_code, 128 + SIGKILL);
  EXPECT_TRUE(ends["g/stubborn#1"].cancelled);
  EXPECT_GE(std::chrono::steady_clock::now() - asked, std::chrono::milliseconds(kGraceMs));
}

TEST_F(LocalJobsTest, ANewRunnerReattachesToLiveJobsAndReportsThoseThatEndedMeanwhile) {
  auto first = make_jobs();
  first->start(shell("g/live#1", "while [ ! -f go-live ]; do sleep 0.02; done; exit 5"));
  first->start(shell("g/meanwhile#1", "while [ ! -f go-meanwhile ]; do sleep 0.02; done; exit 4"));
  ASSERT_EQ(first->alive("g/live#1"), 1);
  first.reset();  // the runner is gone; its jobs are not

  touch(work_ / "go-meanwhile");
  auto second = make_jobs();
  ASSERT_TRUE(eventually([&] { return second->alive("g/meanwhile#1") == 0; }));
  EXPECT_EQ(second->alive("g/live#1"), 1);
  EXPECT_EQ(second->running(), std::vector<std::string>{"g/live#1"});
  EXPECT_EQ(second->start(shell("g/live#1", "exit 99")), StartResult::already_known);

  std::vector<JobEnd> ends = second->reap();
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(ends[0].job_key, "g/meanwhile#1");
  EXPECT_EQ(ends[0].exit_code, 4);

  touch(work_ / "go-live");
  auto later = wait_ends(*second, {"g/live#1"});
  ASSERT_EQ(later.count("g/live#1"), 1u);
  EXPECT_EQ(later["g/live#1"].exit_code, 5);
}

TEST_F(LocalJobsTest, AnEndIsHandedOutByEachNewRunnerUntilAcknowledged) {
  auto first = make_jobs();
  first->start(shell("g/quick#1", "exit 2"));
  ASSERT_EQ(wait_ends(*first, {"g/quick#1"}).size(), 1u);
  EXPECT_TRUE(first->reap().empty());  // once per LocalJobs
  first.reset();                       // killed before it could act on the end

  auto second = make_jobs();
  std::vector<JobEnd> again = second->reap();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].job_key, "g/quick#1");
  EXPECT_EQ(again[0].exit_code, 2);
  second->acknowledge("g/quick#1");
  second.reset();

  auto third = make_jobs();
  EXPECT_EQ(third->start(shell("g/quick#1", "exit 2")), StartResult::already_known);
  EXPECT_TRUE(third->reap().empty());
  EXPECT_EQ(third->alive("g/quick#1"), 0);
}

TEST_F(LocalJobsTest, AKnownKeyIsNeverStartedTwice) {
  auto jobs = make_jobs();
  JobSpec once =
      shell("g/once#1", "echo ran >> runs.txt; while [ ! -f go-once ]; do sleep 0.02; done");
  EXPECT_EQ(jobs->start(once), StartResult::started);
  EXPECT_EQ(jobs->start(once), StartResult::already_known);  // while it runs
  touch(work_ / "go-once");
  ASSERT_EQ(wait_ends(*jobs, {"g/once#1"}).size(), 1u);
  EXPECT_EQ(jobs->start(once), StartResult::already_known);  // after it ended
  jobs.reset();
  auto restarted = make_jobs();
  EXPECT_EQ(restarted->start(once), StartResult::already_known);  // by another runner
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(read_file(work_ / "runs.txt"), "ran\n");
}

TEST_F(LocalJobsTest, StartFailuresThrowWithTheReasonAndClaimNothing) {
  auto jobs = make_jobs();
  auto reason = [&](const JobSpec &s) -> std::string {
    try {
      jobs->start(s);
    } catch (const std::runtime_error &e) {
      return e.what();
    }
    return "started";
  };
  EXPECT_NE(reason(spec("g/a#1", {"gk-no-such-program"})).find("not found in PATH"),
            std::string::npos);
  EXPECT_NE(reason(spec("g/b#1", {"./missing.sh"})).find("not found"), std::string::npos);
  std::ofstream(work_ / "plain.txt") << "not a program\n";
  EXPECT_NE(reason(spec("g/c#1", {"./plain.txt"})).find("not an executable"), std::string::npos);
  JobSpec nowhere = spec("g/d#1", {"true"});
  nowhere.workdir = root_ / "no-such-dir";
  EXPECT_NE(reason(nowhere).find("does not exist"), std::string::npos);
  EXPECT_NE(reason(spec("g/e#1", {})).find("no command"), std::string::npos);
  for (const char *key : {"g/a#1", "g/b#1", "g/c#1", "g/d#1", "g/e#1"}) {
    EXPECT_EQ(jobs->alive(key), -1) << key;
  }
  // Once the cause is fixed the same key can start.
  fs::create_directories(root_ / "no-such-dir");
  EXPECT_EQ(jobs->start(nowhere), StartResult::started);
  EXPECT_EQ(wait_ends(*jobs, {"g/d#1"})["g/d#1"].exit_code, 0);

  LocalJobs lost(registry_, kGraceMs, root_ / "no-gk-supervise");
  try {
    lost.start(spec("g/f#1", {"true"}));
    FAIL() << "started without a supervisor";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find("gk-supervise not found"), std::string::npos);
  }
}

TEST_F(LocalJobsTest, AnExecFailureAfterTheChecksEndsWith127AndTheReason) {
  auto jobs = make_jobs();
  std::ofstream(work_ / "garbage") << "\x01\x02 not a program\n";
  fs::permissions(work_ / "garbage", fs::perms::owner_all);
  ASSERT_EQ(jobs->start(spec("g/garbage#1", {"./garbage"})), StartResult::started);
  auto ends = wait_ends(*jobs, {"g/garbage#1"});
  ASSERT_EQ(ends.count("g/garbage#1"), 1u);
  EXPECT_EQ(ends["g/garbage#1"].exit_code, 127);
  EXPECT_NE(ends["g/garbage#1"].reason.find("cannot execute"), std::string::npos);
  EXPECT_NE(read_file(log_for("g/garbage#1")).find("cannot execute"), std::string::npos);
}

TEST_F(LocalJobsTest, AJobWhoseSupervisorWasKilledIsStillSeenAndItsEndReported) {
  auto jobs = make_jobs();
  jobs->start(shell("g/orphan#1", "while [ ! -f go-orphan ]; do sleep 0.02; done; exit 0"));
  fs::path claim = registry_ / (gk::jobs::safe_name("g/orphan#1") + ".job");
  ASSERT_TRUE(eventually([&] {
    auto job = gk::jobs::read_job(claim);
    return job && job->run;
  }));
  auto run = gk::jobs::read_job(claim)->run;
  auto supervisor = static_cast<pid_t>(run->get_int("supervisor_pid"));
  ASSERT_EQ(kill(supervisor, SIGKILL), 0);
  ASSERT_EQ(waitpid(supervisor, nullptr, 0), supervisor);

  EXPECT_EQ(jobs->alive("g/orphan#1"), 1);
  touch(work_ / "go-orphan");
  auto ends = wait_ends(*jobs, {"g/orphan#1"});
  ASSERT_EQ(ends.count("g/orphan#1"), 1u);
  EXPECT_EQ(ends["g/orphan#1"].exit_code, 255);
  EXPECT_NE(ends["g/orphan#1"].reason.find("supervisor was killed"), std::string::npos);
}

// A reported end moves its claim under done/: later runners' start-up reads only the claims
// that may still matter, and the "never twice" check finds the rest there.
TEST_F(LocalJobsTest, EachJobKeepsOneFileWhichMovesToDoneOnceItsEndWasReported) {
  auto first = make_jobs();
  first->start(shell("g/a#1", "exit 0"));
  first->start(shell("g/b#1", "exit 1"));
  ASSERT_EQ(wait_ends(*first, {"g/a#1", "g/b#1"}).size(), 2u);
  first->acknowledge("g/a#1");
  first->acknowledge("g/a#1");  // once is enough; again changes nothing
  first.reset();

  std::vector<std::string> files;
  for (const auto &item : fs::directory_iterator(registry_)) {
    files.push_back(item.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"done", "g%2fb%231.job"}));
  std::vector<std::string> done;
  for (const auto &item : fs::directory_iterator(registry_ / "done")) {
    done.push_back(item.path().filename().string());
  }
  EXPECT_EQ(done, std::vector<std::string>{"g%2fa%231.job"});
  auto a = gk::jobs::read_job(registry_ / "done/g%2fa%231.job");
  ASSERT_TRUE(a && a->run && a->end);
  EXPECT_TRUE(a->reported);
  EXPECT_EQ(a->claim.get("key"), "g/a#1");
  EXPECT_EQ(a->end->get_int("exit_code", -1), 0);
  std::string text = read_file(registry_ / "done/g%2fa%231.job");
  EXPECT_EQ(text.find("@reported"), text.rfind("@reported")) << text;

  // A new runner knows which ends were taken: only the other one comes again.
  auto second = make_jobs();
  std::vector<JobEnd> again = second->reap();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].job_key, "g/b#1");
  EXPECT_EQ(again[0].exit_code, 1);
  EXPECT_EQ(second->alive("g/a#1"), 0);
  EXPECT_EQ(second->start(shell("g/a#1", "exit 0")), StartResult::already_known);
  EXPECT_FALSE(fs::exists(registry_ / "g%2fa%231.job")) << "started again";
  second->acknowledge("g/b#1");
  second.reset();
  auto third = make_jobs();
  EXPECT_TRUE(third->running().empty());
  EXPECT_TRUE(third->reap().empty());
  EXPECT_EQ(third->alive("g/b#1"), 0);
  EXPECT_EQ(third->start(shell("g/b#1", "exit 0")), StartResult::already_known);
  EXPECT_TRUE(fs::exists(registry_ / "done/g%2fb%231.job"));
}

TEST_F(LocalJobsTest, ATornLastLineIsIgnoredAndTheNextLineStillCounts) {
  auto jobs = make_jobs();
  jobs->start(shell("g/torn#1", "exit 6"));
  ASSERT_EQ(wait_ends(*jobs, {"g/torn#1"}).size(), 1u);
  jobs.reset();
  fs::path claim = registry_ / "g%2ftorn%231.job";
  // A crash in the middle of appending an acknowledgement and another end.
  std::ofstream(claim, std::ios::app) << "\n@end 40 exit_code 0\\ntimed";
  auto job = gk::jobs::read_job(claim);
  ASSERT_TRUE(job && job->end);
  EXPECT_EQ(job->end->get_int("exit_code", -1), 6);
  EXPECT_FALSE(job->reported);

  auto second = make_jobs();
  std::vector<JobEnd> ends = second->reap();
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(ends[0].exit_code, 6);
  // The next append ends the torn line, which stays ignored, and counts itself.
  second->acknowledge("g/torn#1");
  job = gk::jobs::read_job(registry_ / "done/g%2ftorn%231.job");
  ASSERT_TRUE(job && job->end);
  EXPECT_TRUE(job->reported);
  EXPECT_EQ(job->end->get_int("exit_code", -1), 6);
  second.reset();
  EXPECT_TRUE(make_jobs()->reap().empty());
}

TEST_F(LocalJobsTest, ARegistryOfTheOlderLayoutIsStillRead) {
  using gk::jobs::Record;
  fs::create_directories(registry_);
  auto claim = [&](const std::string &key) {
    Record record;
    record.add("key", key);
    ASSERT_TRUE(
        gk::jobs::create_claim(registry_ / (gk::jobs::safe_name(key) + ".job"), record, nullptr));
  };
  Record end;
  end.add("exit_code", 9);
  claim("g/taken#1");
  gk::jobs::write_record(registry_ / "g%2ftaken%231.end", end);
  gk::jobs::write_record(registry_ / "g%2ftaken%231.reported", Record{});
  claim("g/pending#1");
  gk::jobs::write_record(registry_ / "g%2fpending%231.end", end);

  auto jobs = make_jobs();
  std::vector<JobEnd> ends = jobs->reap();
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(ends[0].job_key, "g/pending#1");
  EXPECT_EQ(ends[0].exit_code, 9);
  EXPECT_EQ(jobs->alive("g/taken#1"), 0);
  EXPECT_TRUE(jobs->reap().empty());
}

TEST(JobFile, OnlyCompleteLinesOfTheRightLengthCount) {
  using gk::jobs::event_line;
  using gk::jobs::parse_job;
  using gk::jobs::Record;
  Record claim;
  claim.add("key", "g/t#1");
  claim.add("arg", "two\\nlines\nreally");
  Record run;
  run.add("pid", 42);
  Record first_end, second_end;
  first_end.add("exit_code", 3);
  first_end.add("reason", "a reason\nover two lines");
  second_end.add("exit_code", 4);
  std::string text = claim.text() + event_line("run", run);
  EXPECT_FALSE(parse_job(text).end);
  EXPECT_EQ(parse_job(text).run->get_int("pid"), 42);
  EXPECT_EQ(parse_job(text).claim.all("arg"), std::vector<std::string>{"two\\nlines\nreally"});

  std::string end_line = event_line("end", first_end);
  for (size_t cut = 0; cut < end_line.size(); ++cut) {
    auto job = parse_job(text + end_line.substr(0, cut));
    EXPECT_FALSE(job.end) << "cut at " << cut;
    // A torn line followed by a complete one: the complete one counts.
    job = parse_job(text + end_line.substr(0, cut) + event_line("end", second_end));
    ASSERT_TRUE(job.end) << "cut at " << cut;
    // Cut just before its newline, a line is whole once the next one ends it.
    EXPECT_EQ(job.end->get_int("exit_code"), cut + 1 == end_line.size() ? 3 : 4)
        << "cut at " << cut;
  }
  // The first complete end counts; the claim's spec is untouched by what follows it.
  auto job =
      parse_job(text + end_line + event_line("end", second_end) + event_line("reported", Record{}));
  ASSERT_TRUE(job.end);
  EXPECT_EQ(job.end->get_int("exit_code"), 3);
  EXPECT_EQ(job.end->get("reason"), "a reason\nover two lines");
  EXPECT_TRUE(job.reported);
  EXPECT_EQ(job.claim.get("key"), "g/t#1");
  EXPECT_TRUE(job.claim.all("pid").empty());
}

TEST(SafeName, KeysBecomeDistinctPlainFileNames) {
  using gk::jobs::safe_name;
  EXPECT_EQ(safe_name("goal/task#2"), "goal%2ftask%232");
  EXPECT_NE(safe_name("a/b"), safe_name("a%2fb"));
  EXPECT_EQ(safe_name(".."), "%2e%2e");
  std::string long_a(300, 'a'), long_b = long_a + "b";
  EXPECT_LE(safe_name(long_a).size(), 160u);
  EXPECT_NE(safe_name(long_a), safe_name(long_b));
}

}  // namespace

// A runner killed after claiming a key but before its supervisor started leaves a claim without a
// run line. The job never ran, so the next runner starts it under that claim: once, not twice.
TEST_F(LocalJobsTest, AClaimLeftBeforeItsJobStartedIsStartedOnceByTheNextRunner) {
  // What start() writes before it spawns the supervisor; the runner died right there.
  gk::jobs::Record claim;
  claim.add("key", "g/left#1");
  claim.add("program", "/bin/sh");
  for (const char *arg : {"sh", "-c", "echo ran >> runs.txt"}) claim.add("arg", arg);
  claim.add("workdir", work_.string());
  claim.add("log", log_for("g/left#1").string());
  claim.add("timeout_s", 0);
  claim.add("grace_ms", kGraceMs);
  claim.add("created_ms", 0);
  fs::create_directories(registry_);
  fs::create_directories(log_for("g/left#1").parent_path());
  ASSERT_TRUE(gk::jobs::create_claim(registry_ / (gk::jobs::safe_name("g/left#1") + ".job"), claim,
                                     nullptr));
  auto jobs = make_jobs();
  EXPECT_EQ(jobs->start(shell("g/left#1", "echo again >> runs.txt")), StartResult::already_known);
  auto ends = wait_ends(*jobs, {"g/left#1"});
  ASSERT_EQ(ends.count("g/left#1"), 1u);
  EXPECT_EQ(ends["g/left#1"].exit_code, 0) << ends["g/left#1"].reason;
  EXPECT_EQ(read_file(work_ / "runs.txt"), "ran\n");
  // Another runner later neither starts it again nor changes how it ended.
  auto later = make_jobs();
  EXPECT_EQ(later->alive("g/left#1"), 0);
  EXPECT_EQ(read_file(work_ / "runs.txt"), "ran\n");
}

namespace {

// The parent pid of a live process (field 4 of /proc/<pid>/stat), or -1.
pid_t parent_of(pid_t pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(paren + 1));
  std::string state;
  pid_t ppid = -1;
  fields >> state >> ppid;
  return ppid;
}

std::string command_line(pid_t pid) {
  std::string text = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  std::replace(text.begin(), text.end(), '\0', ' ');
  return text;
}

// Live children of this process running `gk-supervise --launcher`.
std::vector<pid_t> launchers() {
  std::vector<pid_t> found;
  for (const auto &item : fs::directory_iterator("/proc")) {
    std::string name = item.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto pid = static_cast<pid_t>(std::stol(name));
    if (parent_of(pid) != getpid()) continue;
    if (command_line(pid).find("--launcher") != std::string::npos) found.push_back(pid);
  }
  return found;
}

}  // namespace

TEST_F(LocalJobsTest, AllOutputIsInTheLogBeforeTheEndIsReported) {
  auto jobs = make_jobs();
  // More than a pipe holds, in stdout and stderr, from the job and from a grandchild.
  jobs->start(shell("g/much#1",
                    "head -c 300000 /dev/zero | tr '\\0' o; (head -c 200000 /dev/zero | "
                    "tr '\\0' e >&2) & wait; exit 4"));
  auto ends = wait_ends(*jobs, {"g/much#1"});
  ASSERT_EQ(ends.count("g/much#1"), 1u);
  EXPECT_EQ(ends["g/much#1"].exit_code, 4);
  std::string log = read_file(log_for("g/much#1"));
  EXPECT_EQ(std::count(log.begin(), log.end(), 'o'), 300000);
  EXPECT_EQ(std::count(log.begin(), log.end(), 'e'), 200000);
}

TEST_F(LocalJobsTest, OneLauncherRunsEveryJobAsItsChildAndCancelsOnlyTheOneAsked) {
  auto jobs = make_jobs();
  std::set<pid_t> supervisors;
  const std::vector<std::string> keys{"g/one#1", "g/two#1", "g/three#1"};
  for (const std::string &key : keys) {
    jobs->start(shell(key, "while [ ! -f go ]; do sleep 0.02; done; exit 3"));
    fs::path claim = registry_ / (gk::jobs::safe_name(key) + ".job");
    ASSERT_TRUE(eventually([&] {
      auto job = gk::jobs::read_job(claim);
      return job && job->run;
    }));
    auto run = gk::jobs::read_job(claim)->run;
    auto supervisor = static_cast<pid_t>(run->get_int("supervisor_pid"));
    EXPECT_EQ(parent_of(static_cast<pid_t>(run->get_int("pid"))), supervisor) << key;
    supervisors.insert(supervisor);
  }
  ASSERT_EQ(supervisors.size(), 1u);
  const pid_t launcher = *supervisors.begin();
  EXPECT_EQ(launchers(), std::vector<pid_t>{launcher});

  jobs->cancel("g/two#1", "not needed");
  auto cancelled = wait_ends(*jobs, {"g/two#1"});
  ASSERT_EQ(cancelled.count("g/two#1"), 1u);
  EXPECT_TRUE(cancelled["g/two#1"].cancelled);
  EXPECT_EQ(cancelled["g/two#1"].reason, "not needed");
  EXPECT_EQ(jobs->alive("g/one#1"), 1);
  EXPECT_EQ(jobs->alive("g/three#1"), 1);

  touch(work_ / "go");
  auto ends = wait_ends(*jobs, {"g/one#1", "g/three#1"});
  ASSERT_EQ(ends.size(), 2u);
  for (const auto &[key, end] : ends) EXPECT_EQ(end.exit_code, 3) << key;
  jobs.reset();
  EXPECT_TRUE(launchers().empty()) << "the launcher outlived its LocalJobs with nothing to run";
}

TEST_F(LocalJobsTest, AKilledLauncherIsReplacedAndLosesNoJob) {
  auto jobs = make_jobs();
  jobs->start(shell("g/before#1", "exit 0"));
  ASSERT_EQ(wait_ends(*jobs, {"g/before#1"}).size(), 1u);
  auto found = launchers();
  ASSERT_EQ(found.size(), 1u);
  ASSERT_EQ(kill(found[0], SIGKILL), 0);
  ASSERT_TRUE(eventually([&] { return gk::jobs::process_start(found[0]) < 0; }));
  jobs->start(shell("g/after#1", "exit 5"));
  auto ends = wait_ends(*jobs, {"g/after#1"});
  ASSERT_EQ(ends.count("g/after#1"), 1u);
  EXPECT_EQ(ends["g/after#1"].exit_code, 5) << ends["g/after#1"].reason;
}

TEST_F(LocalJobsTest, ATerminatingSignalToTheLauncherStopsEveryJobAndSaysWhy) {
  auto jobs = make_jobs();
  pid_t launcher = -1;
  for (const char *key : {"g/loop1#1", "g/loop2#1"}) {
    jobs->start(shell(key, "while true; do sleep 0.02; done"));
    fs::path claim = registry_ / (gk::jobs::safe_name(key) + ".job");
    ASSERT_TRUE(eventually([&] {
      auto job = gk::jobs::read_job(claim);
      return job && job->run;
    }));
    launcher = static_cast<pid_t>(gk::jobs::read_job(claim)->run->get_int("supervisor_pid"));
  }
  ASSERT_EQ(kill(launcher, SIGTERM), 0);
  auto ends = wait_ends(*jobs, {"g/loop1#1", "g/loop2#1"});
  ASSERT_EQ(ends.size(), 2u);
  for (const auto &[key, end] : ends) {
    EXPECT_TRUE(end.cancelled) << key;
    EXPECT_EQ(end.reason, "supervisor received signal " + std::to_string(SIGTERM)) << key;
  }
  // It exits once they ended; jobs started afterwards run under a new one.
  EXPECT_TRUE(eventually([&] { return gk::jobs::process_start(launcher) < 0; }));
  jobs->start(shell("g/after#1", "exit 6"));
  auto after = wait_ends(*jobs, {"g/after#1"});
  ASSERT_EQ(after.count("g/after#1"), 1u);
  EXPECT_EQ(after["g/after#1"].exit_code, 6) << after["g/after#1"].reason;
}

// Where no launcher can start, LocalJobs runs `gk-supervise REGISTRY NAME` per job: the same
// supervisor with one job, which it runs to its end and then exits.
TEST_F(LocalJobsTest, ASupervisorGivenOneClaimRunsItsJobAndRecordsTheEnd) {
  const std::string key = "g/alone#1";
  const std::string name = gk::jobs::safe_name(key);
  gk::jobs::Record claim;
  claim.add("key", key);
  claim.add("program", "/bin/sh");
  for (const char *arg : {"sh", "-c", "echo \"in $(pwd -P) with $GK_ALONE\"; exit 6"})
    claim.add("arg", arg);
  claim.add("env", "GK_ALONE=its own variable");
  claim.add("workdir", work_.string());
  claim.add("log", log_for(key).string());
  claim.add("timeout_s", 0);
  claim.add("grace_ms", kGraceMs);
  claim.add("created_ms", 0);
  fs::create_directories(registry_);
  fs::create_directories(log_for(key).parent_path());
  ASSERT_TRUE(gk::jobs::create_claim(registry_ / (name + ".job"), claim, nullptr));

  // As LocalJobs spawns it: the claim open on descriptor 3, its lock held.
  const std::string claim_path = (registry_ / (name + ".job")).string();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int fd = open(claim_path.c_str(), O_RDWR | O_APPEND);
    if (fd < 0 || flock(fd, LOCK_EX) != 0 || dup2(fd, 3) != 3) _exit(98);
    execl(GK_SUPERVISE_PATH, GK_SUPERVISE_PATH, registry_.c_str(), name.c_str(), nullptr);
    _exit(99);
  }
  int status = -1;
  ASSERT_TRUE(eventually([&] { return waitpid(pid, &status, WNOHANG) == pid; }));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  auto job = gk::jobs::read_job(registry_ / (name + ".job"));
  ASSERT_TRUE(job && job->run && job->end);
  EXPECT_EQ(job->run->get_int("supervisor_pid"), pid);
  EXPECT_EQ(job->end->get_int("exit_code", -1), 6);
  EXPECT_EQ(read_file(log_for(key)),
            "in " + fs::canonical(work_).string() + " with its own variable\n");
}

TEST_F(LocalJobsTest, AReportedClaimLeftInTheRegistryMovesToDoneWithTheNextRunner) {
  auto first = make_jobs();
  first->start(shell("g/left#1", "exit 3"));
  ASSERT_EQ(wait_ends(*first, {"g/left#1"}).size(), 1u);
  first.reset();
  // A runner stopped right after it recorded the report, before it moved the claim.
  const fs::path claim = registry_ / (gk::jobs::safe_name("g/left#1") + ".job");
  gk::jobs::append_event(claim, "reported", gk::jobs::Record{});

  auto second = make_jobs();
  EXPECT_FALSE(fs::exists(claim));
  EXPECT_TRUE(fs::exists(registry_ / "done" / claim.filename()));
  EXPECT_TRUE(second->reap().empty());
  EXPECT_EQ(second->alive("g/left#1"), 0);
}

namespace {

// How many of this process's descriptors are open on path.
int descriptors_on(const fs::path &path) {
  int count = 0;
  const fs::path target = fs::canonical(path);
  for (const auto &item : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    if (fs::read_symlink(item.path(), ec) == target) ++count;
  }
  return count;
}

}  // namespace

// The runner knows a job it started runs by a lock test on a descriptor of its own, kept open
// while the job runs (not closed at once, which would leave it testing a closed number, or
// worse, one reused for something else) and closed once the job ended.
TEST_F(LocalJobsTest, AJobStartedHereIsWatchedThroughOneDescriptorClosedWhenItEnds) {
  auto jobs = make_jobs();
  jobs->start(shell("g/watched#1", "while [ ! -f go ]; do sleep 0.02; done"));
  const fs::path claim = registry_ / (gk::jobs::safe_name("g/watched#1") + ".job");
  EXPECT_EQ(descriptors_on(claim), 1);
  EXPECT_EQ(jobs->alive("g/watched#1"), 1);
  touch(work_ / "go");
  ASSERT_EQ(wait_ends(*jobs, {"g/watched#1"}).size(), 1u);
  EXPECT_EQ(descriptors_on(claim), 0);
}

// A runner of many jobs at once keeps descriptors for its own files: watches take at most half
// of its limit, and the jobs beyond are looked at by reading their claims.
TEST_F(LocalJobsTest, WatchesTakeAtMostHalfTheDescriptorsAndJobsBeyondRunAndEndAllTheSame) {
  rlimit given{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &given), 0);
  struct Restore {
    rlimit limit;
    ~Restore() { setrlimit(RLIMIT_NOFILE, &limit); }
  } restore{given};
  rlimit low = given;
  low.rlim_cur = 64;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);

  auto jobs = make_jobs();
  std::vector<std::string> keys;
  for (int i = 0; i < 40; ++i) {
    keys.push_back("g/many-" + std::to_string(i) + "#1");
    ASSERT_EQ(jobs->start(shell(keys.back(), "while [ ! -f go ]; do sleep 0.05; done")),
              StartResult::started);
  }
  int watches = 0;
  for (const auto &key : keys) {
    watches += descriptors_on(registry_ / (gk::jobs::safe_name(key) + ".job"));
    EXPECT_EQ(jobs->alive(key), 1) << key;
  }
  EXPECT_EQ(watches, 32);
  touch(work_ / "go");
  auto ends = wait_ends(*jobs, keys);
  ASSERT_EQ(ends.size(), keys.size());
  for (const auto &[key, end] : ends) EXPECT_EQ(end.exit_code, 0) << key << ": " << end.reason;
}

// Two LocalJobs on one registry, as two runners on one folder have.
TEST_F(LocalJobsTest, AJobAnotherRunnerStartedIsAliveAndItsUnreportedEndIsHandedOut) {
  auto mine = make_jobs();
  auto other = make_jobs();  // made before the job existed: it learns of it by asking
  mine->start(shell("g/shared#1", "while [ ! -e go ]; do sleep 0.02; done"));
  EXPECT_EQ(other->alive("g/shared#1"), 1);
  touch(work_ / "go");
  ASSERT_TRUE(eventually([&] { return other->alive("g/shared#1") == 0; }));
  // Its runner has not reported it: the other runner hands the end out instead of losing it.
  auto ends = wait_ends(*other, {"g/shared#1"});
  ASSERT_EQ(ends.count("g/shared#1"), 1u);
  EXPECT_EQ(ends["g/shared#1"].exit_code, 0);
  other->acknowledge("g/shared#1");
  // Reported once: the runner that started it does not hand it out again.
  EXPECT_TRUE(eventually([&] { return mine->alive("g/shared#1") == 0; }));
  EXPECT_TRUE(mine->reap().empty());
}

TEST_F(LocalJobsTest, OneRunnerAtATimeHoldsTheReservationOfAKey) {
  auto mine = make_jobs();
  auto other = make_jobs();
  {
    auto held = mine->reserve("g/r#1");
    ASSERT_TRUE(held.has_value());
    EXPECT_FALSE(other->reserve("g/r#1").has_value());
    EXPECT_FALSE(mine->reserve("g/r#1").has_value());  // not twice in one process either
    EXPECT_TRUE(other->reserve("g/another#1").has_value());
  }
  // Released with the reservation.
  EXPECT_TRUE(other->reserve("g/r#1").has_value());
}

TEST_F(LocalJobsTest, TheReservationOfAKeyIsHeldAcrossProcesses) {
  auto mine = make_jobs();
  auto held = mine->reserve("g/x#1");
  ASSERT_TRUE(held.has_value());
  pid_t child = fork();
  if (child == 0) {
    LocalJobs other(registry_, kGraceMs, GK_SUPERVISE_PATH);
    _exit(other.reserve("g/x#1").has_value() ? 1 : 0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
