// The GitHub token: read from the environment at poll time, sent only in the Authorization
// header, and scrubbed from every string the checkers hand back (reasons, artifacts, memo).
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>

namespace gk {

// The value of environment variable `name`, or "" when it is unset or empty.
std::string read_token(const std::string &name);

// `text` with every occurrence of `secret` replaced by "[redacted]" (no-op for an empty secret).
std::string redact(std::string_view text, std::string_view secret);

// Redacts every string (keys included) inside `value`, in place.
void redact_json(boost::json::value &value, std::string_view secret);
void redact_json(boost::json::object &value, std::string_view secret);

}  // namespace gk
