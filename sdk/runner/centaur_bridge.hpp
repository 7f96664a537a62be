// The review-bot bridge of `goalkeeper serve`. While a centaur_review gate watches, serve gives
// the bot a callback URL and a random token of that task's own:
//   POST   {centaur.url}/api/signals/register   {"task_id": "G/T", "callback_url": URL,
//                                                "token": TOKEN, "repo", "pr", "pr_url"}
// the bot posts its verdict there:
//   POST   {callback_url} = {public}/api/centaur/callback/G/T   Authorization: Bearer TOKEN
//          {"status": "approved" | "changes_requested", ...}
// and when the gate stops watching (resolved, failed, timed out, goal stopped, serve stopping):
//   DELETE {centaur.url}/api/signals/G%2FT
// The calls for one task are made in order on one worker thread (never on the step loop or an
// HTTP thread); failures are logged and a failed registration is tried again with backoff.
// Polling by the plugin's centaur checker goes on regardless, so a bot that cannot be reached
// only delays the gate.
//
// Only gates whose type is centaur_review take part; a centaur_review leaf of a compound gate is
// resolved by polling or by POST /api/signals/resolve.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include <boost/json.hpp>

namespace gk::runner {

struct CentaurBridgeSettings {
  std::string bot_url;        // centaur.url, without a trailing '/'
  std::string bot_token;      // value of centaur.token_env, sent as Bearer when not empty
  std::string callback_base;  // "http://127.0.0.1:8080", what the bot can reach
  long timeout_ms = 5000;     // per call
};

class CentaurBridge {
 public:
  using Log = std::function<void(const std::string &)>;
  CentaurBridge(CentaurBridgeSettings settings, Log log);
  ~CentaurBridge();  // shutdown() with a short budget
  CentaurBridge(const CentaurBridge &) = delete;
  CentaurBridge &operator=(const CentaurBridge &) = delete;

  // Where the bot reaches serve ("http://127.0.0.1:8080"); set before the first update().
  void set_callback_base(std::string base);

  // The step loop's view of the centaur_review gates watching now: "G/T" -> what the bot is told
  // about the pull request (repo, pr, pr_url; may be empty). Registers new ones, revokes gone
  // ones, retries failed registrations that are due.
  void update(const std::map<std::string, boost::json::object> &watching);

  // Whether the gate G/T watches (a registration was issued). Thread-safe.
  bool watching(const std::string &ref) const;
  // Whether `token` is the one issued for G/T, in constant time. Thread-safe.
  bool verify(const std::string &ref, const std::string &token) const;

  // Revokes every registration (best effort, bounded by the per-call timeout) and stops the
  // worker. Idempotent.
  void shutdown();

 private:
  struct Entry {
    std::string token;
    boost::json::object info;
    bool register_sent = false;  // a register call was made or queued for this token
    bool registered = false;
    int failures = 0;
    std::chrono::steady_clock::time_point retry_at{};
  };
  struct Op {
    enum Kind { reg, revoke } kind;
    std::string ref, token;
    boost::json::object info;
  };

  void enqueue(Op op);  // with mutex_ held
  void work();
  void do_register(const Op &op);
  void do_revoke(const Op &op);

  CentaurBridgeSettings settings_;
  Log log_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::string, Entry> entries_;
  std::deque<Op> queue_;
  bool stopping_ = false;
  bool busy_ = false;
  std::thread worker_;
};

}  // namespace gk::runner
