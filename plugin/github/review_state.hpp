// gh_review: the review decision (GraphQL reviewDecision) or, when GitHub gives none, each
// reviewer's latest APPROVED / CHANGES_REQUESTED / DISMISSED review (docs/design.md "Gates").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "github/verdict.hpp"

namespace gk::github {

struct ReviewInfo {
  std::string user;
  std::string state;  // APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING
  std::string body;
  std::string url;
  int64_t id = 0;
  std::string submitted_at;
};

// A line comment of a pull request's review (REST GET .../pulls/N/comments).
struct ReviewCommentInfo {
  std::string user;
  std::string path;
  int64_t line = 0;  // the line in the file as it is now, else where it was; 0 when neither
  std::string body;
  int64_t review_id = 0;  // pull_request_review_id (0 when none)
};

// The latest counting review per reviewer (COMMENTED and PENDING do not count), in order.
std::vector<ReviewInfo> latest_reviews(const std::vector<ReviewInfo> &chronological);

// Without a decision: any outstanding CHANGES_REQUESTED fails (artifacts: review_decision,
// reviewers, reviews [{reviewer, state, body, url}]: at most kFailureMaxReviews, each body cut by
// prompt_text, core/failure_text.hpp), at least min_approvals APPROVED passes (0: no changes
// requested is enough), else wait.
Verdict evaluate_reviews(const std::vector<ReviewInfo> &chronological, int64_t min_approvals);

// With a decision (APPROVED, CHANGES_REQUESTED, REVIEW_REQUIRED): the verdict. `reviews` (may
// be empty) fills the artifacts. APPROVED with min_approvals > 1 also needs that many approvals.
Verdict evaluate_decision(const std::string &decision, const std::vector<ReviewInfo> &reviews,
                          int64_t min_approvals);

// A changes-requested failure's line comments, into its artifacts: "comments" [{user, path, line,
// body}], at most kFailureMaxComments (those of the reviewers who requested changes first, then
// the newest; shown in GitHub's order), each body cut by prompt_text; "comments_omitted": how many
// more there were.
void add_review_comments(boost::json::object &artifacts,
                         const std::vector<ReviewCommentInfo> &comments);

std::string review_fingerprint(const std::optional<std::string> &decision,
                               const std::vector<ReviewInfo> &reviews);

}  // namespace gk::github
