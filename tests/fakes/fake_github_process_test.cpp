// gk-fake-github as a process: PORT line, serving the state file, reloading it when it changes,
// counters over /_fake/stats, mutations over /_fake/mutations, clean exit on SIGTERM.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "curl_client.hpp"

namespace {
namespace json = boost::json;
using gkfake::testing::fetch;
using gkfake::testing::post;

void write_atomically(const std::filesystem::path &path, const std::string &text) {
  const auto tmp = path.string() + ".tmp";
  std::ofstream(tmp) << text;
  std::filesystem::rename(tmp, path);
}

std::string state_with(const std::string &sha, const std::string &conclusion) {
  return R"({"pulls":[{"repo":"o/r","number":1,"head_sha":")" + sha +
         R"(","checks":[{"name":"build","status":"completed","conclusion":")" + conclusion +
         R"("}],"statuses":[],"reviews":[{"user":"alice","state":"APPROVED"}],"review_decision":"APPROVED"}]})";
}

class FakeProcess {
 public:
  explicit FakeProcess(const std::string &state_path) {
    int out[2];
    EXPECT_EQ(pipe(out), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      execl(GK_FAKE_GITHUB_EXE, GK_FAKE_GITHUB_EXE, "--state", state_path.c_str(),
            static_cast<char *>(nullptr));
      _exit(127);
    }
    close(out[1]);
    stdout_ = fdopen(out[0], "r");
    char line[64] = {};
    if (std::fgets(line, sizeof line, stdout_)) {
      std::sscanf(line, "PORT %d", &port_);
    }
  }
  ~FakeProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdout_) std::fclose(stdout_);
  }
  int port() const { return port_; }
  std::string url(const std::string &path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int terminate() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  FILE *stdout_ = nullptr;
  int port_ = 0;
};

TEST(FakeGitHubProcess, ServesReloadsCountsAndStops) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("gk-fake-github-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto state = dir / "state.json";
  write_atomically(state, state_with("1111111111111111111111111111111111111111", "failure"));

  FakeProcess fake(state.string());
  ASSERT_GT(fake.port(), 0);
  const auto pull = json::parse(fetch(fake.url("/api/v3/repos/o/r/pulls/1")).body);
  EXPECT_EQ(pull.at("head").at("sha").as_string(), "1111111111111111111111111111111111111111");

  write_atomically(state, state_with("2222222222222222222222222222222222222222", "success"));
  std::string sha;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    sha = json::value_to<std::string>(
        json::parse(fetch(fake.url("/api/v3/repos/o/r/pulls/1")).body).at("head").at("sha"));
    if (sha.starts_with("2")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(sha, "2222222222222222222222222222222222222222");
  const auto runs =
      json::parse(fetch(fake.url("/api/v3/repos/o/r/commits/" + sha + "/check-runs")).body);
  EXPECT_EQ(runs.at("check_runs").at(0).at("conclusion").as_string(), "success");

  const auto stats = json::parse(fetch(fake.url("/_fake/stats")).body);
  EXPECT_GE(stats.at("counted_requests").as_int64(), 3);
  EXPECT_EQ(stats.at("requests"), stats.at("counted_requests"));

  const int status = fake.terminate();
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::filesystem::remove_all(dir);
}

std::string pull_request_state(const std::string &labels) {
  return R"({"pulls":[{"repo":"o/r","number":5,"head_sha":"5555555555555555555555555555555555555555",
    "title":"Add search","author":"carol","labels":)" +
         labels + R"(,"state":"open","draft":false,
    "created_at":"2024-03-01T12:00:00Z","updated_at":"2024-03-02T12:00:00Z",
    "base_ref":"main","head_ref":"gk/search","mergeable_state":"clean","unknown_mergeable_reads":1,
    "checks":[{"name":"unit","conclusion":"failure","title":"2 failed","summary":"see log"}],
    "statuses":[{"context":"ci","state":"success","description":"all good"}],
    "reviews":[{"user":"dave","state":"COMMENTED"}],
    "comments":[{"user":"dave","path":"a.cpp","line":3,"body":"why?","review_index":0}]},
   {"repo":"o/r","number":6,"head_sha":"6666666666666666666666666666666666666666","merged":true,
    "merge_refusal_status":405,"merge_message":"Required status check \"unit\" is failing."}],
   "search_rate_limit":{"remaining":20}})";
}

TEST(FakeGitHubProcess, ServesTheNewPullFieldsAndReportsMutations) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("gk-fake-github-m-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto state = dir / "state.json";
  write_atomically(state, pull_request_state(R"(["ready"])"));

  FakeProcess fake(state.string());
  ASSERT_GT(fake.port(), 0);
  json::value pull = json::parse(fetch(fake.url("/api/v3/repos/o/r/pulls/5")).body);
  EXPECT_TRUE(pull.at("mergeable").is_null());  // the one unknown read
  EXPECT_EQ(pull.at("title").as_string(), "Add search");
  EXPECT_EQ(pull.at("user").at("login").as_string(), "carol");
  EXPECT_EQ(pull.at("head").at("ref").as_string(), "gk/search");
  pull = json::parse(fetch(fake.url("/api/v3/repos/o/r/pulls/5")).body);
  EXPECT_TRUE(pull.at("mergeable").as_bool());
  EXPECT_EQ(pull.at("closed_at"), nullptr);
  EXPECT_TRUE(
      json::parse(fetch(fake.url("/api/v3/repos/o/r/pulls/6")).body).at("merged").as_bool());
  const auto comments = json::parse(fetch(fake.url("/api/v3/repos/o/r/pulls/5/comments")).body);
  EXPECT_EQ(comments.at(0).at("body").as_string(), "why?");
  const auto runs = json::parse(
      fetch(
          fake.url("/api/v3/repos/o/r/commits/5555555555555555555555555555555555555555/check-runs"))
          .body);
  EXPECT_EQ(runs.at("check_runs").at(0).at("output").at("summary").as_string(), "see log");

  const auto found = fetch(fake.url("/api/v3/search/issues?q=repo:o/r+is:pr+is:open+label:ready"));
  EXPECT_EQ(found.header("x-ratelimit-remaining"), "19");
  EXPECT_EQ(json::parse(found.body).at("total_count").as_int64(), 1);

  gkfake::testing::Request put = post(R"({"sha":"5555555555555555555555555555555555555555"})");
  put.method = "PUT";
  EXPECT_EQ(fetch(fake.url("/api/v3/repos/o/r/pulls/5/merge"), put).status, 200);
  EXPECT_EQ(fetch(fake.url("/api/v3/repos/o/r/pulls/6/merge"), put).status, 405);
  const auto mutations = json::parse(fetch(fake.url("/_fake/mutations")).body).at("mutations");
  ASSERT_EQ(mutations.as_array().size(), 2u);
  EXPECT_EQ(mutations.at(0).at("method").as_string(), "PUT");
  EXPECT_EQ(mutations.at(0).at("path").as_string(), "/api/v3/repos/o/r/pulls/5/merge");
  EXPECT_EQ(mutations.at(0).at("body").as_string(), put.body);
  EXPECT_EQ(mutations.at(0).at("status").as_int64(), 200);
  EXPECT_EQ(mutations.at(1).at("status").as_int64(), 405);

  // A rewritten state changes the labels (and replaces what the merge did); the log stays.
  write_atomically(state, pull_request_state(R"(["blocked"])"));
  int64_t total = -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    total = json::parse(fetch(fake.url("/api/v3/search/issues?q=repo:o/r+label:blocked")).body)
                .at("total_count")
                .as_int64();
    if (total == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(total, 1);
  EXPECT_EQ(json::parse(fetch(fake.url("/_fake/mutations")).body).at("mutations").as_array().size(),
            2u);
  fetch(fake.url("/_fake/mutations"), [] {
    gkfake::testing::Request del;
    del.method = "DELETE";
    return del;
  }());
  EXPECT_TRUE(
      json::parse(fetch(fake.url("/_fake/mutations")).body).at("mutations").as_array().empty());
  EXPECT_EQ(fake.terminate(), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
