// gk-fake-github as a process: PORT line, serving the state file, reloading it when it changes,
// counters over /_fake/stats, clean exit on SIGTERM.
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

}  // namespace
