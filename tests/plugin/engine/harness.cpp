#include "harness.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <random>

namespace gktest {

namespace {

int64_t host_now(void *ctx) {
  return static_cast<Host *>(ctx)->now;
}

int host_alive(void *ctx, const char *key) {
  auto *h = static_cast<Host *>(ctx);
  auto it = h->alive.find(key);
  return it == h->alive.end() ? -1 : it->second;
}

json::object parse(const char *text) {
  json::value v = json::parse(text);
  return v.as_object();
}

}  // namespace

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("gk-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + "-" +
           std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string last_error() {
  return gk_last_error();
}

Host::Host(const std::string &extra_config) : dir(std::make_unique<TempDir>()) {
  state_path = dir->path() / "state.db";
  json::object config = json::parse(extra_config).as_object();
  config["state_path"] = state_path.string();
  gk_host host;
  gk_host_init(&host);
  host.ctx = this;
  host.now_ms = host_now;
  host.job_alive = host_alive;
  int rc = gk_open(&host, json::serialize(config).c_str(), &plugin);
  if (rc != GK_OK) ADD_FAILURE() << "gk_open: " << gk_last_error();
}

Host::Host(const std::filesystem::path &state, const std::string &extra_config) {
  state_path = state;
  json::object config = json::parse(extra_config).as_object();
  config["state_path"] = state_path.string();
  gk_host host;
  gk_host_init(&host);
  host.ctx = this;
  host.now_ms = host_now;
  host.job_alive = host_alive;
  int rc = gk_open(&host, json::serialize(config).c_str(), &plugin);
  if (rc != GK_OK) ADD_FAILURE() << "gk_open: " << gk_last_error();
}

Host::~Host() {
  gk_close(plugin);
}

json::object Host::load(const std::string &yaml, const std::string &source) {
  char *out = nullptr;
  int rc = gk_load(plugin, yaml.c_str(), source.c_str(), &out);
  EXPECT_EQ(rc, GK_OK) << gk_last_error();
  json::object r = out ? parse(out) : json::object{};
  gk_free(out);
  return r;
}

int Host::load_status(const std::string &yaml, const std::string &source) {
  char *out = nullptr;
  int rc = gk_load(plugin, yaml.c_str(), source.c_str(), &out);
  gk_free(out);
  return rc;
}

void Host::start(const std::string &goal, const std::string &options) {
  EXPECT_EQ(gk_start(plugin, goal.c_str(), options.c_str()), GK_OK) << gk_last_error();
}

json::object Host::step(const std::string &input) {
  char *out = nullptr;
  int rc = gk_step(plugin, input.c_str(), &out);
  EXPECT_EQ(rc, GK_OK) << gk_last_error();
  json::object r = out ? parse(out) : json::object{};
  gk_free(out);
  return r;
}

void Host::event(const std::string &job_key, const std::string &event_json) {
  EXPECT_EQ(gk_job_event(plugin, job_key.c_str(), event_json.c_str()), GK_OK)
      << job_key << ": " << gk_last_error();
}

int Host::event_status(const std::string &job_key, const std::string &event_json) {
  return gk_job_event(plugin, job_key.c_str(), event_json.c_str());
}

void Host::finish(const std::string &job_key, int exit_code, const std::string &result) {
  json::object ev{{"type", "finished"}, {"exit_code", exit_code}};
  if (!result.empty()) ev["result"] = json::parse(result);
  event(job_key, json::serialize(ev));
}

json::object Host::signal(const std::string &signal_json) {
  char *out = nullptr;
  int rc = gk_signal(plugin, signal_json.c_str(), &out);
  EXPECT_EQ(rc, GK_OK) << gk_last_error();
  json::object r = out ? parse(out) : json::object{};
  gk_free(out);
  return r;
}

void Host::review(const std::string &task, const std::string &decision_json) {
  EXPECT_EQ(review_status(task, decision_json), GK_OK) << gk_last_error();
}

int Host::review_status(const std::string &task, const std::string &decision_json) {
  return gk_review(plugin, task.c_str(), decision_json.c_str());
}

int Host::control(const std::string &goal, const std::string &command) {
  return gk_control(plugin, goal.c_str(), command.c_str());
}

json::object Host::query(const std::string &query_json) {
  char *out = nullptr;
  int rc = gk_query(plugin, query_json.c_str(), &out);
  EXPECT_EQ(rc, GK_OK) << gk_last_error();
  json::object r = out ? parse(out) : json::object{};
  gk_free(out);
  return r;
}

json::object Host::task(const std::string &goal, const std::string &task) {
  return query(
      json::serialize(json::object{{"what", "task"}, {"goal_id", goal}, {"task_id", task}}));
}

std::string Host::status_of(const std::string &goal, const std::string &t) {
  auto o = task(goal, t);
  auto *s = o.if_contains("status");
  return s ? std::string(s->as_string()) : std::string("?");
}

json::object Host::goal_status(const std::string &goal) {
  auto r = query(json::serialize(json::object{{"what", "status"}, {"goal_id", goal}}));
  return r.at("goals").as_array().at(0).as_object();
}

std::vector<std::string> Host::event_kinds(const std::string &goal) {
  std::vector<std::string> kinds;
  int64_t after = 0;
  while (true) {
    auto r = query(json::serialize(
        json::object{{"what", "events"}, {"goal_id", goal}, {"after", after}, {"limit", 1000}}));
    auto &events = r.at("events").as_array();
    for (auto &e : events) kinds.emplace_back(e.at("kind").as_string());
    if (events.size() < 1000) break;
    after = r.at("last_id").as_int64();
  }
  return kinds;
}

std::vector<json::object> Host::actions(const json::object &step, const std::string &type) {
  std::vector<json::object> out;
  for (auto &a : step.at("actions").as_array())
    if (a.at("type").as_string() == type) out.push_back(a.as_object());
  return out;
}

std::vector<std::string> Host::run_keys(const json::object &step) {
  std::vector<std::string> keys;
  for (auto &a : actions(step, "run_job")) keys.emplace_back(a.at("job_key").as_string());
  return keys;
}

}  // namespace gktest
