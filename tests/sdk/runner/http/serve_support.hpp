// Helpers for the `goalkeeper serve` tests: the real command started as a process on 127.0.0.1
// port 0 (the port read from its "listening on" line), HTTP over loopback with libcurl, raw
// sockets for requests that must stay in flight, and GitHub-style signing with OpenSSL.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "../harness.hpp"

namespace gkserve {

namespace json = boost::json;
namespace fs = std::filesystem;
using gk::runner_test::TempDir;

inline constexpr const char *kSignalToken = "signal-token-for-tests-5c1e";
inline constexpr const char *kWebhookSecret = "webhook-secret-for-tests-91b0";
inline constexpr const char *kGitHubTokenEnv = "GK_SERVE_TEST_GITHUB_TOKEN";

struct HttpResult {
  int status = 0;  // 0: no answer (error says why)
  std::string body;
  std::string error;
  std::map<std::string, std::string> headers;  // lower-case names
  json::value json() const;                    // body parsed (throws when it is not JSON)
};

// One request with libcurl, no proxy, bounded by timeout. headers are "Name: value" lines.
HttpResult http(const std::string &method, const std::string &url,
                const std::vector<std::string> &headers = {}, const std::string &body = "",
                long timeout_ms = 15000);

// "Authorization: Bearer <token>".
std::string bearer(const std::string &token = kSignalToken);

// "sha256=<hex HMAC-SHA256 of body>", as GitHub signs deliveries.
std::string sign(const std::string &secret, const std::string &body);
std::string new_delivery_id();
// Headers of a signed GitHub delivery.
std::vector<std::string> delivery_headers(const std::string &event, const std::string &body,
                                          const std::string &secret = kWebhookSecret);

// The index-th example of tests/fixtures/github/webhooks/<event>.json.
json::object fixture(const std::string &event, size_t index);

struct ServeOptions {
  std::string goal_yaml;                   // written to goals.yaml ("" = no file argument)
  json::object config;                     // written to config.json and passed with --config
  std::vector<std::string> args;           // more arguments
  std::map<std::string, std::string> env;  // added (a value "" removes the variable)
  bool signal_token = true;                // GK_SIGNAL_TOKEN set to kSignalToken
  bool webhook_secret = true;              // GK_WEBHOOK_SECRET set to kWebhookSecret
};

// `goalkeeper serve` in dir, started by the constructor, which waits (bounded) for its port.
// The destructor stops it (SIGTERM, then SIGKILL after a bound) if the test did not.
class Serve {
 public:
  Serve(const TempDir &dir, const ServeOptions &options);
  ~Serve();
  Serve(const Serve &) = delete;
  Serve &operator=(const Serve &) = delete;

  bool ready() const { return port_ > 0; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string url(const std::string &path) const;
  std::string out() const;  // stdout so far
  std::string err() const;  // stderr so far

  // SIGTERM, then waits for the exit (bounded); returns the exit status (128+N when killed).
  int stop(std::chrono::milliseconds within = std::chrono::milliseconds(20000));
  void signal(int sig) const;
  bool exited() const { return exited_; }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  bool exited_ = false;
  int exit_code_ = -1;
};

// The state of a goal from GET /api/status: "running", "finished", ...; "" when unknown.
std::string goal_state(const Serve &s, const std::string &goal);
// The status of one task from GET /api/tasks/G/T ("" when unknown).
std::string task_status(const Serve &s, const std::string &goal, const std::string &task);

// A raw TCP connection to 127.0.0.1:port, for requests sent in pieces.
class RawClient {
 public:
  explicit RawClient(int port);
  ~RawClient();
  bool connected() const { return fd_ >= 0; }
  bool send(const std::string &bytes);
  // Reads until the peer closes or `within` passes.
  std::string read_all(std::chrono::milliseconds within);
  bool eof() const { return eof_; }  // the last read_all ended because the peer closed

 private:
  int fd_ = -1;
  bool eof_ = false;
};

// Whether a TCP connection to 127.0.0.1:port is accepted.
bool can_connect(int port);

}  // namespace gkserve
