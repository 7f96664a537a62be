// The answers of the fault modes (Fault in fake_github.hpp) and GitHub's rate-limit headers.
//
//   server_error    502, an HTML body (GitHub's front end, not the API, answers it)
//   hang            no answer at all; the socket stays open until the client gives up
//   rate_limited    403, x-ratelimit-remaining: 0, x-ratelimit-reset, GitHub's primary limit body
//   too_many        429, Retry-After: 1, GitHub's secondary limit body
//   bad_json        200, Content-Type application/json, an HTML "unicorn" page as body
//   truncated_json  200 with the real JSON answer of the route and its full Content-Length, but
//                   only the first half of the body is sent and then the connection is closed
//                   (libcurl reports CURLE_PARTIAL_FILE, "transfer closed with N bytes remaining")
//   unauthorized    401 {"message":"Bad credentials"}, no rate-limit headers
//   forbidden       403 {"message":"Resource not accessible by integration"}, no rate-limit headers
//   not_found       404 {"message":"Not Found"}
#pragma once

#include <cstdint>
#include <string>

#include "fake_github.hpp"
#include "fake_http.hpp"

namespace gkfake::detail {

struct RateLimit {
  int limit = 5000;
  int remaining = 5000;
  int64_t reset_epoch_s = 0;
  std::string resource = "core";  // core | graphql
};

// x-ratelimit-limit, -remaining, -reset, -used, -resource.
void add_rate_headers(HttpResponse &response, const RateLimit &rate);

// Whether the answer of `fault` carries rate-limit headers (all but unauthorized and forbidden).
bool fault_has_rate_headers(Fault fault);

// The answer for `fault`; `normal` is what the route would have answered (truncated_json cuts it).
HttpResponse fault_response(Fault fault, HttpResponse normal);

// The primary rate limit's 403 (also what an exhausted limit answers).
HttpResponse rate_limited_response();

}  // namespace gkfake::detail
