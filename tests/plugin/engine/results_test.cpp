// What a job reports when it ends is its own: a result the plugin cannot use ends that attempt
// as failed, once, with the reason; it never leaves the job unreported to be run again.
#include <gtest/gtest.h>

#include <fstream>

#include "harness.hpp"

using namespace gktest;

namespace {

const char *kOneTask = R"(
version: 1
defaults: {run: ["./agent.sh"], session_policy: spawn}
goals:
  - id: g
    tasks: [{id: a}]
)";

struct OneJob : ::testing::Test {
  Host h{R"({"limits": {"max_result_bytes": 1024}})"};
  void SetUp() override {
    h.load(kOneTask);
    h.start("g");
    ASSERT_EQ(Host::run_keys(h.step()), std::vector<std::string>{"g/a#1"});
    h.started("g/a#1");
  }
  // Ends the job with this result file; returns the status of the call.
  int finish_with_file(const std::string &text) {
    std::string path = (h.dir->path() / "result.json").string();
    std::ofstream(path, std::ios::binary) << text;
    return h.event_status("g/a#1",
                          R"({"type":"finished","exit_code":0,"result_file":")" + path + R"("})");
  }
  int job_offers() {
    int n = 0;
    for (const auto &kind : h.event_kinds("g")) n += kind == "job_offered";
    return n;
  }
};

}  // namespace

TEST(Results, RefusedResultFailsTheAttemptOnceWithTheReason) {
  const std::pair<const char *, const char *> cases[] = {
      {R"({"status":"done","summary":5})", "\"summary\" must be a string, found a number"},
      {R"({"status":"exploded"})",
       "\"status\" must be done, blocked or failed, found \"exploded\""},
      {R"({"status":"done","artifacts":"notanobject"})",
       "\"artifacts\" must be an object, found a string"},
      {R"({"status":"done","subtasks":{"id":"x"}})",
       "\"subtasks\" must be an array, found an object"},
      {R"([1,2])", "is not a JSON object"},
  };
  // A fresh state per case, so each starts from a running job.
  for (const auto &[text, why] : cases) {
    SCOPED_TRACE(text);
    Host one{R"({"limits": {"max_result_bytes": 1024}})"};
    one.load(kOneTask);
    one.start("g");
    ASSERT_EQ(Host::run_keys(one.step()), std::vector<std::string>{"g/a#1"});
    one.started("g/a#1");
    std::string path = (one.dir->path() / "result.json").string();
    std::ofstream(path, std::ios::binary) << text;
    // The event is taken: the job ran, whatever it wrote.
    EXPECT_EQ(one.event_status(
                  "g/a#1", R"({"type":"finished","exit_code":0,"result_file":")" + path + R"("})"),
              GK_OK)
        << last_error();
    EXPECT_EQ(one.status_of("g", "a"), "failed");
    json::object task = one.task("g", "a");
    EXPECT_NE(json::value_to<std::string>(task.at("reason")).find(why), std::string::npos)
        << task.at("reason");
    EXPECT_NE(json::value_to<std::string>(task.at("reason")).find("was refused"),
              std::string::npos);
    // Nothing runs again: not the same key, not a new attempt.
    EXPECT_TRUE(Host::run_keys(one.step()).empty());
    EXPECT_EQ(json::value_to<int64_t>(task.at("attempt")), 1);
  }
}

TEST_F(OneJob, RefusedInlineResultFailsTheAttemptToo) {
  EXPECT_EQ(
      h.event_status("g/a#1", R"({"type":"finished","exit_code":0,"result":{"summary":["a"]}})"),
      GK_OK)
      << last_error();
  EXPECT_EQ(h.status_of("g", "a"), "failed");
  EXPECT_NE(json::value_to<std::string>(h.task("g", "a").at("reason"))
                .find("\"summary\" must be a string, found an array"),
            std::string::npos);
}

TEST_F(OneJob, ResultOverMaxResultBytesFailsTheAttemptAndIsNotStored) {
  std::string big = R"({"status":"done","summary":")" + std::string(5000, 'x') + R"("})";
  EXPECT_EQ(finish_with_file(big), GK_OK) << last_error();
  EXPECT_EQ(h.status_of("g", "a"), "failed");
  json::object task = h.task("g", "a");
  EXPECT_NE(json::value_to<std::string>(task.at("reason"))
                .find("more than limits.max_result_bytes (1 KiB)"),
            std::string::npos)
      << task.at("reason");
  // The summary was not stored: only the reason.
  EXPECT_EQ(json::serialize(task).find("xxxxxxxxxx"), std::string::npos);
  EXPECT_EQ(job_offers(), 1);
}

TEST_F(OneJob, ResultWithinTheLimitIsApplied) {
  EXPECT_EQ(finish_with_file(R"({"status":"done","summary":"fine","artifacts":{"pr":7}})"), GK_OK);
  EXPECT_EQ(h.status_of("g", "a"), "done");
  EXPECT_EQ(h.task("g", "a").at("artifacts").at("pr").as_int64(), 7);
}

TEST(Results, RefusedResultTakesTheRetryPathLikeAnyFailure) {
  Host h;
  h.load(R"(
version: 1
defaults: {run: ["./agent.sh"], session_policy: spawn, max_retries: 1}
goals:
  - id: g
    tasks: [{id: a}]
)");
  h.start("g");
  h.step();
  h.started("g/a#1");
  h.event("g/a#1", R"({"type":"finished","exit_code":0,"result":{"status":"maybe"}})");
  auto runs = Host::actions(h.step(), "run_job");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].at("job_key").as_string(), "g/a#2");
  EXPECT_NE(std::string(runs[0].at("prompt").as_string()).find("was refused"), std::string::npos);
}
