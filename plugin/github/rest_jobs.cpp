#include "github/rest_jobs.hpp"

namespace gk::github {

namespace {

constexpr int kMaxCheckPages = 50;    // 5,000 check runs on one commit
constexpr int kMaxReviewPages = 30;   // 3,000 reviews on one pull request
constexpr int kMaxCommentPages = 10;  // 1,000 line comments on one pull request

}  // namespace

Problem malformed(const std::string &target, const std::string &what) {
  Problem p;
  p.kind = Problem::Kind::fault;
  p.reason = "GitHub's answer for " + target + " is malformed: " + what;
  return p;
}

CiRestJob::CiRestJob(std::string api, const GateSpec &spec, std::string known_sha)
    : api_(std::move(api)),
      repo_(spec.repo),
      pr_(spec.pr),
      target_(spec.target()),
      sha_(known_sha.empty() ? spec.sha : std::move(known_sha)) {}

std::vector<std::string> CiRestJob::wants() const {
  if (problem_) return {};
  if (sha_.empty()) return {rest::pull_url(api_, repo_, pr_)};
  std::vector<std::string> out;
  if (!status_) out.push_back(rest::status_url(api_, repo_, sha_));
  int pages = pages_ == 0 ? 1 : pages_;
  for (int p = 1; p <= pages; ++p)
    if (!runs_.count(p)) out.push_back(rest::check_runs_url(api_, repo_, sha_, p));
  return out;
}

void CiRestJob::take(const std::string &url, const Fetched &f) {
  if (f.problem) {
    fail(f.problem);
    return;
  }
  try {
    if (sha_.empty() && url == rest::pull_url(api_, repo_, pr_)) {
      sha_ = rest::parse_pull_head(*f.body);
      return;
    }
    if (url == rest::status_url(api_, repo_, sha_)) {
      status_ = rest::parse_status(*f.body);
      return;
    }
    int pages = pages_ == 0 ? 1 : pages_;
    for (int p = 1; p <= pages; ++p) {
      if (url != rest::check_runs_url(api_, repo_, sha_, p)) continue;
      auto page = rest::parse_check_runs(*f.body);
      if (p == 1) {
        int64_t n = (page.total_count + rest::kPerPage - 1) / rest::kPerPage;
        pages_ = static_cast<int>(std::clamp<int64_t>(n, 1, kMaxCheckPages));
      }
      runs_[p] = std::move(page.runs);
      return;
    }
  } catch (const rest::MalformedAnswer &e) {
    fail(malformed(target_, e.what()));
  }
}

CiSnapshot CiRestJob::snapshot() const {
  CiSnapshot s;
  s.head_sha = sha_;
  for (const auto &[page, runs] : runs_) s.runs.insert(s.runs.end(), runs.begin(), runs.end());
  if (status_) {
    s.statuses = status_->statuses;
    if (status_->total_count > 0) s.combined_state = status_->state;
  }
  return s;
}

ReviewRestJob::ReviewRestJob(std::string api, const GateSpec &spec)
    : api_(std::move(api)), repo_(spec.repo), pr_(spec.pr), target_(spec.target()) {}

std::vector<std::string> ReviewRestJob::wants() const {
  if (problem_ || next_page_ == 0) return {};
  return {rest::reviews_url(api_, repo_, pr_, next_page_)};
}

void ReviewRestJob::take(const std::string &url, const Fetched &f) {
  if (f.problem) {
    fail(f.problem);
    return;
  }
  if (next_page_ == 0 || url != rest::reviews_url(api_, repo_, pr_, next_page_)) return;
  try {
    auto page = rest::parse_reviews(*f.body);
    bool full = page.size() >= static_cast<size_t>(rest::kPerPage);
    reviews_.insert(reviews_.end(), page.begin(), page.end());
    next_page_ = full && next_page_ < kMaxReviewPages ? next_page_ + 1 : 0;
  } catch (const rest::MalformedAnswer &e) {
    fail(malformed(target_, e.what()));
  }
}

ReviewCommentsRestJob::ReviewCommentsRestJob(std::string api, const GateSpec &spec)
    : api_(std::move(api)), repo_(spec.repo), pr_(spec.pr), target_(spec.target()) {}

std::vector<std::string> ReviewCommentsRestJob::wants() const {
  if (problem_ || next_page_ == 0) return {};
  return {rest::review_comments_url(api_, repo_, pr_, next_page_)};
}

void ReviewCommentsRestJob::take(const std::string &url, const Fetched &f) {
  if (f.problem) {
    fail(f.problem);
    return;
  }
  if (next_page_ == 0 || url != rest::review_comments_url(api_, repo_, pr_, next_page_)) return;
  try {
    auto page = rest::parse_review_comments(*f.body);
    bool full = page.size() >= static_cast<size_t>(rest::kPerPage);
    comments_.insert(comments_.end(), page.begin(), page.end());
    next_page_ = full && next_page_ < kMaxCommentPages ? next_page_ + 1 : 0;
  } catch (const rest::MalformedAnswer &e) {
    fail(malformed(target_, e.what()));
  }
}

}  // namespace gk::github
