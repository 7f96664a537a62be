// Reading an HTTP answer from GitHub: is it usable, a transport fault, a rate limit, or a
// problem a person must fix? Reasons name the gate's target and the token's variable, never
// the token.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "github/problem.hpp"
#include "net/http_response.hpp"

namespace gk::github {

struct AnswerContext {
  std::string target;     // "o/r#12" or "o/r@<sha>"
  std::string token_env;  // "GITHUB_TOKEN"
  bool have_token = false;
  int64_t now_ms = 0;       // host time
  int64_t wall_now_ms = 0;  // epoch time (x-ratelimit-reset is epoch seconds)
};

// none for 2xx and 304; otherwise what the answer means for the gate.
Problem classify(const net::HttpResponse &r, const AnswerContext &c);

// A usable answer that used up the rate limit (x-ratelimit-remaining: 0): when polling of the
// host may resume (host time).
std::optional<int64_t> exhausted_until(const net::HttpResponse &r, const AnswerContext &c);

// Current epoch time in milliseconds.
int64_t wall_clock_ms();

}  // namespace gk::github
