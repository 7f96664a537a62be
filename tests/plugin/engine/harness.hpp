// A test host: drives the plugin through the C ABI only, with a clock the test moves and a
// job_alive answer the test sets. Each instance owns a fresh temp directory and state file.
#pragma once

#include <goalkeeper/goalkeeper.h>

#include <boost/json.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace gktest {

namespace json = boost::json;

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const std::filesystem::path &path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct Host {
  explicit Host(const std::string &extra_config = "{}");
  Host(const std::filesystem::path &state, const std::string &extra_config);
  ~Host();
  Host(const Host &) = delete;
  Host &operator=(const Host &) = delete;

  // Each wrapper fails the current test on an unexpected status (see *_status variants).
  json::object load(const std::string &yaml, const std::string &source = "test.yaml");
  int load_status(const std::string &yaml, const std::string &source = "test.yaml");
  void start(const std::string &goal, const std::string &options = "{}");
  json::object step(const std::string &input = "{}");
  void event(const std::string &job_key, const std::string &event_json);
  int event_status(const std::string &job_key, const std::string &event_json);
  void started(const std::string &job_key) { event(job_key, R"({"type":"started"})"); }
  void finish(const std::string &job_key, int exit_code = 0, const std::string &result = "");
  json::object signal(const std::string &signal_json);
  void review(const std::string &task, const std::string &decision_json);
  int review_status(const std::string &task, const std::string &decision_json);
  int control(const std::string &goal, const std::string &command);
  json::object query(const std::string &query_json);
  json::object task(const std::string &goal, const std::string &task);
  std::string status_of(const std::string &goal, const std::string &task);
  json::object goal_status(const std::string &goal);
  std::vector<std::string> event_kinds(const std::string &goal);

  // Actions of one kind from a step result.
  static std::vector<json::object> actions(const json::object &step, const std::string &type);
  static std::vector<std::string> run_keys(const json::object &step);

  std::unique_ptr<TempDir> dir;
  std::filesystem::path state_path;
  gk_plugin *plugin = nullptr;
  int64_t now = 1'000'000;
  std::map<std::string, int> alive;  // job_key -> job_alive answer (absent: -1)
};

std::string last_error();

}  // namespace gktest
