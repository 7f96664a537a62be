// GitHub webhook deliveries: verified with HMAC-SHA256 before anything is parsed.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "core/gate_nudge.hpp"

namespace gk {

// "sha256=" + hex(HMAC-SHA256(secret, body)).
std::string github_signature(std::string_view secret, std::string_view body);
// Constant-time comparison of the X-Hub-Signature-256 header against the expected value.
bool signature_matches(std::string_view header, std::string_view secret, std::string_view body);

// What a verified delivery means for gates: check_run, check_suite and workflow_run completed and
// status make the matching gh_ci gates poll now; pull_request_review submitted or dismissed the
// gh_review gates of that PR; pull_request synchronize restarts gh_ci gates on the new head; ping
// is accepted; anything else is accepted and ignored, with the reason. Its nudge has no gate type
// then, and is still handed to the engine: the delivery id of each is recorded, so any redelivery
// answers "duplicate": true and changes nothing.
struct Delivery {
  GateNudge nudge;
  std::string event, id;  // X-GitHub-Event, X-GitHub-Delivery
  std::string note;       // for a delivery that concerns no gate: why
  bool ignored = false;   // of a kind (or an action) that concerns no gate
};

// gk_webhook: unauthorized unless the signature verifies with the secret configured by
// webhook.secret_env; invalid when the headers or the body are not a delivery.
Delivery read_delivery(const Config &config, const boost::json::object &headers,
                       std::string_view body);
Delivery map_delivery(const std::string &event, const std::string &id,
                      const boost::json::object &payload);

// gk_webhook's answer: the delivery's own, with what Engine::nudge did with it.
boost::json::object delivery_result(const Delivery &d, const boost::json::object &nudged);

}  // namespace gk
