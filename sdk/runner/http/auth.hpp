// Bearer tokens for the HTTP API: reading them from a request, comparing them without leaking
// their length or content through timing, and making new random ones.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "server.hpp"

namespace gk::http {

// The token of "Authorization: Bearer <token>" (the scheme is case-insensitive), nullopt when
// the header is missing or uses another scheme.
std::optional<std::string> bearer_token(const Request &request);

// Whether a == b, in time that depends only on the length of `expected` (never on where the two
// differ, nor on the length of `given`).
bool constant_time_equal(std::string_view given, std::string_view expected);

// `bytes` random bytes from the operating system's CSPRNG (OpenSSL RAND_bytes), as lowercase hex.
// Throws std::runtime_error when no randomness is available.
std::string random_token(size_t bytes = 32);

}  // namespace gk::http
