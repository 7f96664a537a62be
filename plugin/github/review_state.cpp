#include "github/review_state.hpp"

#include "core/failure_text.hpp"
#include "core/fnv1a.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "github/ci_state.hpp"

namespace gk::github {

namespace json = boost::json;

namespace {

json::array review_list(const std::vector<ReviewInfo> &reviews, const std::string &state) {
  json::array out;
  for (const auto &r : reviews)
    if ((state.empty() || r.state == state) && out.size() < kFailureMaxReviews)
      out.push_back(json::object{{"reviewer", r.user},
                                 {"state", r.state},
                                 {"body", prompt_text(r.body, kFailureMaxReviewBytes)},
                                 {"url", r.url}});
  return out;
}

json::array names(const std::vector<ReviewInfo> &reviews, const std::string &state) {
  json::array out;
  for (const auto &r : reviews)
    if (r.state == state) out.push_back(json::string(r.user));
  return out;
}

}  // namespace

std::vector<ReviewInfo> latest_reviews(const std::vector<ReviewInfo> &chronological) {
  std::map<std::string, size_t> at;
  std::vector<ReviewInfo> out;
  for (const auto &r : chronological) {
    if (r.state != "APPROVED" && r.state != "CHANGES_REQUESTED" && r.state != "DISMISSED") continue;
    auto it = at.find(r.user);
    if (it == at.end()) {
      at[r.user] = out.size();
      out.push_back(r);
    } else {
      out[it->second] = r;
    }
  }
  return out;
}

Verdict evaluate_reviews(const std::vector<ReviewInfo> &chronological, int64_t min_approvals) {
  Verdict v;
  auto latest = latest_reviews(chronological);
  int64_t approvals = 0;
  bool changes = false;
  for (const auto &r : latest) {
    if (r.state == "APPROVED") ++approvals;
    if (r.state == "CHANGES_REQUESTED") changes = true;
  }
  if (changes) {
    v.kind = Verdict::Kind::fail;
    v.artifacts = {{"review_decision", "CHANGES_REQUESTED"},
                   {"reviewers", names(latest, "CHANGES_REQUESTED")},
                   {"reviews", review_list(latest, "CHANGES_REQUESTED")}};
  } else if (approvals >= min_approvals) {
    v.kind = Verdict::Kind::pass;
    v.artifacts = {{"review_decision", "APPROVED"},
                   {"approvals", approvals},
                   {"approved_by", names(latest, "APPROVED")}};
  }
  return v;
}

Verdict evaluate_decision(const std::string &decision, const std::vector<ReviewInfo> &reviews,
                          int64_t min_approvals) {
  Verdict v;
  auto latest = latest_reviews(reviews);
  if (decision == "CHANGES_REQUESTED") {
    v.kind = Verdict::Kind::fail;
    json::array reviewers = names(latest, "CHANGES_REQUESTED");
    v.artifacts = {{"review_decision", decision},
                   {"reviewers", std::move(reviewers)},
                   {"reviews", review_list(latest, "CHANGES_REQUESTED")}};
  } else if (decision == "APPROVED") {
    if (min_approvals > 1) return evaluate_reviews(reviews, min_approvals);
    v.kind = Verdict::Kind::pass;
    v.artifacts = {{"review_decision", decision}};
    if (!latest.empty()) v.artifacts["approved_by"] = names(latest, "APPROVED");
  }
  return v;  // REVIEW_REQUIRED or anything new: wait
}

void add_review_comments(json::object &artifacts, const std::vector<ReviewCommentInfo> &comments) {
  std::set<std::string> requested;
  if (const auto *r = artifacts.if_contains("reviewers"); r && r->is_array())
    for (const auto &name : r->as_array())
      if (name.is_string()) requested.insert(std::string(name.as_string()));
  // Which to keep: the requesting reviewers' comments, then the others, newest first in each.
  std::vector<size_t> order(comments.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = order.size() - 1 - k;
  std::stable_partition(order.begin(), order.end(),
                        [&](size_t k) { return requested.count(comments[k].user) > 0; });
  if (order.size() > kFailureMaxComments) order.resize(kFailureMaxComments);
  std::sort(order.begin(), order.end());
  json::array out;
  for (size_t k : order) {
    const auto &c = comments[k];
    out.push_back(json::object{{"user", c.user},
                               {"path", c.path},
                               {"line", c.line},
                               {"body", prompt_text(c.body, kFailureMaxCommentBytes)}});
  }
  artifacts["comments"] = std::move(out);
  if (comments.size() > kFailureMaxComments)
    artifacts["comments_omitted"] = static_cast<int64_t>(comments.size() - kFailureMaxComments);
}

std::string review_fingerprint(const std::optional<std::string> &decision,
                               const std::vector<ReviewInfo> &reviews) {
  std::string all = decision.value_or("(none)");
  for (const auto &r : reviews)
    all += "\x1e" + r.user + "\x1f" + r.state + "\x1f" + std::to_string(r.id);
  return fnv1a_hex(all);
}

}  // namespace gk::github
