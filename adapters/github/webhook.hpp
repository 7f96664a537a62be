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

// gk_webhook: unauthorized unless the signature verifies with the configured secret.
boost::json::object handle_webhook(Engine &engine, const boost::json::object &headers,
                                   std::string_view body);

}  // namespace gk
