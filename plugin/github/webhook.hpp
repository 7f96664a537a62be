// GitHub webhook deliveries: verified with HMAC-SHA256 before anything is parsed.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "core/engine.hpp"

namespace gk {

// "sha256=" + hex(HMAC-SHA256(secret, body)).
std::string github_signature(std::string_view secret, std::string_view body);
// Constant-time comparison of the X-Hub-Signature-256 header against the expected value.
bool signature_matches(std::string_view header, std::string_view secret, std::string_view body);

// What a verified delivery means for gates: check_run, check_suite and workflow_run completed and
// status make the matching gh_ci gates poll now; pull_request_review submitted or dismissed the
// gh_review gates of that PR; pull_request synchronize restarts gh_ci gates on the new head; ping
// is accepted; anything else is accepted and ignored, with the reason in the result. The delivery
// id of each (ping and ignored ones included) is recorded, so any redelivery answers
// "duplicate": true and changes nothing.
boost::json::object map_delivery(Engine &engine, const std::string &event,
                                 const std::string &delivery, const boost::json::object &payload);

// gk_webhook: unauthorized unless the signature verifies with the configured secret.
boost::json::object handle_webhook(Engine &engine, const boost::json::object &headers,
                                   std::string_view body);

}  // namespace gk
