#include "github/review_state.hpp"

#include "core/fnv1a.hpp"

#include <map>

#include "github/ci_state.hpp"

namespace gk::github {

namespace json = boost::json;

namespace {

json::array review_list(const std::vector<ReviewInfo> &reviews, const std::string &state) {
  json::array out;
  for (const auto &r : reviews)
    if (state.empty() || r.state == state)
      out.push_back(
          json::object{{"reviewer", r.user}, {"state", r.state}, {"body", r.body}, {"url", r.url}});
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

std::string review_fingerprint(const std::optional<std::string> &decision,
                               const std::vector<ReviewInfo> &reviews) {
  std::string all = decision.value_or("(none)");
  for (const auto &r : reviews)
    all += "\x1e" + r.user + "\x1f" + r.state + "\x1f" + std::to_string(r.id);
  return fnv1a_hex(all);
}

}  // namespace gk::github
