// The batched GraphQL query: one request reads up to 50 pull requests (head commit, review
// decision and the head commit's statusCheckRollup together), one alias per pull request.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "github/ci_state.hpp"
#include "github/review_state.hpp"

namespace gk::github::graphql {

constexpr size_t kMaxPullsPerRequest = 50;
constexpr int kContextsPerPage = 100;

struct PullAsk {
  std::string owner;  // validated: [A-Za-z0-9_.-]+
  std::string name;
  int64_t number = 0;
  bool reviews = false;  // also latestReviews (the bodies for a changes-requested failure)
  std::string after;     // contexts cursor: a follow-up page of one pull request
};

// {"query": "query { pr0: repository(...) {...} ... }"} as the POST body.
std::string request_body(const std::vector<PullAsk> &asks);

struct PullAnswer {
  enum class Kind { ok, not_found, error };
  Kind kind = Kind::error;
  std::string message;  // not_found / error: what GitHub said
  std::string head_sha;
  std::optional<std::string> review_decision;  // null: no decision
  CiSnapshot ci;                               // runs and statuses of this page of contexts
  bool has_next_page = false;
  std::string end_cursor;
  std::optional<std::vector<ReviewInfo>> latest_reviews;
};

struct BatchAnswer {
  // The endpoint cannot serve us (an `errors` answer without data): fall back to REST.
  bool unavailable = false;
  // An `errors` answer of type RATE_LIMITED: wait for the reset, do not fall back.
  bool rate_limited = false;
  // The body is not the JSON we expect (bad or truncated JSON): a fault.
  std::string malformed;
  std::vector<PullAnswer> pulls;  // one per ask, in order (when neither of the above)
};

BatchAnswer parse_answer(std::string_view body, size_t asks);

}  // namespace gk::github::graphql
