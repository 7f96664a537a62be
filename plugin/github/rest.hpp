// GitHub REST endpoints the gates read, and parsers for their answers. Parsers throw
// MalformedAnswer when a body does not have the documented shape.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "github/ci_state.hpp"
#include "github/review_state.hpp"

namespace gk::github::rest {

constexpr int kPerPage = 100;

struct MalformedAnswer : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string pull_url(const std::string &api, const std::string &repo, int64_t pr);
std::string check_runs_url(const std::string &api, const std::string &repo, const std::string &sha,
                           int page);
std::string status_url(const std::string &api, const std::string &repo, const std::string &sha);
std::string reviews_url(const std::string &api, const std::string &repo, int64_t pr, int page);
std::string review_comments_url(const std::string &api, const std::string &repo, int64_t pr,
                                int page);

// GET /repos/{o}/{r}/pulls/{n} -> head.sha
std::string parse_pull_head(const boost::json::value &body);

struct CheckRunsPage {
  int64_t total_count = 0;
  std::vector<CheckRunInfo> runs;
};
// GET /repos/{o}/{r}/commits/{sha}/check-runs
CheckRunsPage parse_check_runs(const boost::json::value &body);

struct CombinedStatus {
  std::string state;  // success | failure | error | pending
  int64_t total_count = 0;
  std::vector<StatusInfo> statuses;
};
// GET /repos/{o}/{r}/commits/{sha}/status
CombinedStatus parse_status(const boost::json::value &body);

// GET /repos/{o}/{r}/pulls/{n}/reviews (chronological)
std::vector<ReviewInfo> parse_reviews(const boost::json::value &body);

// GET /repos/{o}/{r}/pulls/{n}/comments (the line comments of its reviews, oldest first)
std::vector<ReviewCommentInfo> parse_review_comments(const boost::json::value &body);

}  // namespace gk::github::rest
