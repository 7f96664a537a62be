// Helpers for the gk_webhook tests: signing deliveries the way GitHub does (HMAC via OpenSSL,
// independent of the plugin's own signer), environment variables restored after each test, the
// fixture payloads, and snapshots that prove a refused or repeated delivery changed nothing.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "fake_github.hpp"
#include "harness.hpp"

namespace gkwh {

namespace json = boost::json;

// The variable the plugin reads by default (config `webhook.secret_env`).
inline constexpr const char *kSecretEnv = "GK_WEBHOOK_SECRET";
inline constexpr const char *kSecret = "a webhook secret for tests 7f3a";
// The GitHub token the checker sends to the fake (a variable of our own, never the real one).
inline constexpr const char *kTokenEnv = "GK_WEBHOOK_TEST_GITHUB_TOKEN";

// Sets (or, with nullopt, unsets) an environment variable and restores what was there.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, std::optional<std::string> value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv &) = delete;
  ScopedEnv &operator=(const ScopedEnv &) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// Hex HMACs of `body`, as GitHub computes them: "sha256=<hex>" and "sha1=<hex>".
std::string sign_sha256(std::string_view secret, std::string_view body);
std::string sign_sha1(std::string_view secret, std::string_view body);

// A fresh, unique delivery id (GUID-shaped like GitHub's).
std::string new_delivery_id();

// Headers of a delivery signed with `secret`, in GitHub's spelling.
json::object signed_headers(const std::string &event, const std::string &delivery,
                            std::string_view body, std::string_view secret = kSecret);

struct Delivery {
  int rc = 0;
  std::string error;    // gk_last_error() when rc != GK_OK
  json::object result;  // the result JSON when rc == GK_OK
  bool has_result = false;
};

Delivery deliver(gk_plugin *plugin, const json::object &headers, std::string_view body);
// Signs and delivers `payload` as `event` with a new delivery id (or the given one).
Delivery deliver_signed(gk_plugin *plugin, const std::string &event, const json::value &payload,
                        const std::string &delivery = "");

// Every example payload of `tests/fixtures/github/webhooks/<event>.json`.
json::array examples(const std::string &event);

// Plugin config pointing the GitHub checker at the fake.
std::string config_for(const gkfake::FakeGitHub &fake, json::object extra = {});

// Loads and starts goal `goal` whose first task `gate` waits on `wait_for` (a JSON object), and
// steps until the gate is active.
void gate_goal(gktest::Host &h, const std::string &goal, const json::object &wait_for);

// Lets the coalescing window of deliveries pass (webhook.coalesce_ms, 1000 by default) and steps:
// the step that confirms what the deliveries announced with a read.
json::object confirm(gktest::Host &h);

// The number of events in the whole state.
size_t total_events(gktest::Host &h);

// The gate's poll memo ("" part), or an empty object.
json::object poll_memo(gktest::Host &h, const std::string &goal, const std::string &task);

// Everything a delivery could change, for before/after comparisons.
struct Snapshot {
  size_t events = 0;
  std::string status;  // serialized status of all goals
  std::string gate;    // serialized task record of goal/gate
  int github_requests = 0;
  bool operator==(const Snapshot &) const = default;
};
Snapshot snapshot(gktest::Host &h, const gkfake::FakeGitHub &fake, const std::string &goal);

// "goal/task" of each entry of result[key].
std::vector<std::string> refs(const json::object &result, const char *key);

std::string lower(std::string s);
bool contains(const std::string &haystack, const std::string &needle);  // case-insensitive

// Loopback must not go through a proxy (libcurl honours http_proxy).
void keep_loopback_off_proxies();

}  // namespace gkwh
