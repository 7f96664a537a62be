#include "github/github_pull_finder.hpp"

#include <chrono>

namespace gk::github {

PullSearchResult GitHubPullFinder::find(const std::string &query, int64_t now_ms,
                                        int64_t budget_ms) {
  SearchOutcome got = search_.search(
      query, now_ms, std::chrono::steady_clock::now() + std::chrono::milliseconds(budget_ms));
  PullSearchResult out;
  out.complete = got.complete;
  out.requests = got.requests;
  out.problem = got.problem.reason;
  out.blocked = got.problem.kind == Problem::Kind::blocked;
  if (got.problem.kind == Problem::Kind::rate_limited) out.retry_at_ms = got.problem.resume_ms;
  out.pulls.reserve(got.pulls.size());
  for (FoundPull &p : got.pulls) {
    FoundPullRequest f;
    f.repo = std::move(p.repo);
    f.number = p.number;
    f.title = std::move(p.title);
    f.author = std::move(p.author);
    f.head_sha = std::move(p.head_sha);
    f.url = std::move(p.url);
    f.state = std::move(p.state);
    f.draft = p.draft;
    f.updated_at = std::move(p.updated_at);
    out.pulls.push_back(std::move(f));
  }
  return out;
}

}  // namespace gk::github
