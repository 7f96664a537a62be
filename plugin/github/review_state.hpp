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

// The latest counting review per reviewer (COMMENTED and PENDING do not count), in order.
std::vector<ReviewInfo> latest_reviews(const std::vector<ReviewInfo> &chronological);

// Without a decision: any outstanding CHANGES_REQUESTED fails (artifacts: the reviewers and the
// bodies of their reviews), at least min_approvals APPROVED passes (0: no changes requested is
// enough), else wait.
Verdict evaluate_reviews(const std::vector<ReviewInfo> &chronological, int64_t min_approvals);

// With a decision (APPROVED, CHANGES_REQUESTED, REVIEW_REQUIRED): the verdict. `reviews` (may
// be empty) fills the artifacts. APPROVED with min_approvals > 1 also needs that many approvals.
Verdict evaluate_decision(const std::string &decision, const std::vector<ReviewInfo> &reviews,
                          int64_t min_approvals);

std::string review_fingerprint(const std::optional<std::string> &decision,
                               const std::vector<ReviewInfo> &reviews);

}  // namespace gk::github
