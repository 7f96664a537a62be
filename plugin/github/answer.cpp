#include "github/answer.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <chrono>

namespace gk::github {

namespace {

constexpr int64_t kSecondaryLimitMs = 60'000;  // GitHub: wait at least a minute without headers

std::optional<int64_t> header_int(const net::HttpResponse &r, const char *name) {
  auto v = r.header(name);
  if (!v) return std::nullopt;
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p == v->data()) return std::nullopt;
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The "message" of a GitHub error body, if it has one (short, for a person).
std::string error_message(const net::HttpResponse &r) {
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (ec || !v.is_object()) return {};
  const auto *m = v.as_object().if_contains("message");
  if (!m || !m->is_string()) return {};
  std::string s(m->as_string());
  if (s.size() > 200) s = s.substr(0, 200) + "...";
  return s;
}

int64_t reset_to_host_ms(int64_t reset_epoch_s, const AnswerContext &c) {
  int64_t wait = reset_epoch_s * 1000 - c.wall_now_ms;
  return c.now_ms + std::clamp<int64_t>(wait, 1'000, 3'600'000) + 1'000;
}

std::optional<Problem> rate_limit(const net::HttpResponse &r, const AnswerContext &c) {
  bool limited_status = r.status == 403 || r.status == 429;
  if (!limited_status) return std::nullopt;
  Problem p;
  p.kind = Problem::Kind::rate_limited;
  if (auto after = header_int(r, "retry-after"); after && *after >= 0) {
    p.resume_ms = c.now_ms + std::clamp<int64_t>(*after * 1000, 1'000, 3'600'000);
    p.reason = "GitHub asked to retry after " + std::to_string(*after) + " s (HTTP " +
               std::to_string(r.status) + " for " + c.target + ")";
    return p;
  }
  auto remaining = header_int(r, "x-ratelimit-remaining");
  auto reset = header_int(r, "x-ratelimit-reset");
  if (remaining && *remaining == 0) {
    p.resume_ms = reset ? reset_to_host_ms(*reset, c) : c.now_ms + kSecondaryLimitMs;
    p.reason = "GitHub rate limit used up (HTTP " + std::to_string(r.status) + " for " + c.target +
               "); polling pauses for " + std::to_string((p.resume_ms - c.now_ms) / 1000) + " s";
    return p;
  }
  if (r.status == 429 || lower(r.body).find("rate limit") != std::string::npos) {
    p.resume_ms = c.now_ms + kSecondaryLimitMs;
    p.reason = "GitHub secondary rate limit (HTTP " + std::to_string(r.status) + " for " +
               c.target + "); polling pauses for 60 s";
    return p;
  }
  return std::nullopt;
}

}  // namespace

int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Problem classify(const net::HttpResponse &r, const AnswerContext &c) {
  Problem p;
  if (!r.error.empty() || r.status == 0) {
    p.kind = Problem::Kind::fault;
    p.reason = "GitHub did not answer for " + c.target + ": " +
               (r.error.empty() ? std::string("no HTTP status") : r.error);
    return p;
  }
  if ((r.status >= 200 && r.status < 300) || r.status == 304) return p;
  if (auto limited = rate_limit(r, c)) return *limited;
  std::string code = std::to_string(r.status);
  const std::string var = "$" + c.token_env;
  if (r.status == 401) {
    p.kind = Problem::Kind::blocked;
    p.reason = "GitHub answered 401 for " + c.target + ": " +
               (c.have_token ? "check the token in " + var + " (expired or revoked?)"
                             : var + " is not set; set it to a token that can read the repository");
    return p;
  }
  if (r.status == 403) {
    p.kind = Problem::Kind::blocked;
    p.reason = "GitHub answered 403 for " + c.target + ": " +
               (c.have_token ? "the token in " + var +
                                   " may not read pull requests, checks and statuses of this "
                                   "repository"
                             : var + " is not set and the repository needs a token");
    if (auto m = error_message(r); !m.empty()) p.reason += " (GitHub says: " + m + ")";
    return p;
  }
  if (r.status == 404) {
    p.kind = Problem::Kind::blocked;
    p.reason = "GitHub answered 404 for " + c.target +
               ": the repository or pull request does not exist, or " +
               (c.have_token ? "the token in " + var + " cannot see it"
                             : "it is private and " + var + " is not set");
    return p;
  }
  if (r.status >= 500 || r.status == 408 || r.status == 409 || r.status == 425) {
    p.kind = Problem::Kind::fault;
    p.reason = "GitHub answered " + code + " for " + c.target;
    return p;
  }
  p.kind = Problem::Kind::blocked;
  p.reason = "GitHub refused the request for " + c.target + " (HTTP " + code + ")";
  if (auto m = error_message(r); !m.empty()) p.reason += ": " + m;
  return p;
}

std::optional<int64_t> exhausted_until(const net::HttpResponse &r, const AnswerContext &c) {
  auto remaining = header_int(r, "x-ratelimit-remaining");
  if (!remaining || *remaining > 0) return std::nullopt;
  auto reset = header_int(r, "x-ratelimit-reset");
  return reset ? reset_to_host_ms(*reset, c) : c.now_ms + kSecondaryLimitMs;
}

}  // namespace gk::github
