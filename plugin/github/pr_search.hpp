// Pull-request search for scheduled discovery: GitHub's issue search (GraphQL `search(type:
// ISSUE)` first, REST GET /search/issues where GraphQL cannot serve), every page, past GitHub's
// 1,000-result cap, within the search rate limit and a deadline.
//
// The 1,000-result cap: GitHub serves only the first 1,000 matches of one query (issueCount /
// total_count still say how many there are). When a query matches more, it is split into
// `created:` windows: the window's range is halved (an open end is taken as 2008-01-01, before
// any pull request, or as now) and each half asked again, recursively, until every window holds
// at most 1,000; the windows are read newest first (oldest first under sort:created-asc) and
// merged, deduplicated by repo#number, since a pull request created during the search can move
// between pages. A query's own `created:` qualifier bounds the windows instead of being combined
// with them. A window of one second that still holds more than 1,000, or a query whose created:
// qualifier cannot be narrowed (negated, repeated), is read up to the cap and reported blocked.
// Splitting costs one first page per window that had to be split: about one request per 100
// results plus one per split.
//
// Rate limits: REST search is limited to 30 requests a minute (10 without a token). The
// x-ratelimit-* headers are obeyed, and the object keeps a sliding record of its own REST
// requests so it never sends the 31st of a minute, even when GitHub's headers are lost; a search
// that would exceed it stops with rate_limited and the host time it may resume. GraphQL's
// `rateLimit` and headers are obeyed likewise. Faults are never retried here: the caller's schedule
// retries.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "github/problem.hpp"
#include "github/settings.hpp"

namespace gk::github {

struct FoundPull {
  std::string repo;  // "owner/name" as GitHub spells it
  int64_t number = 0;
  std::string title, author, head_sha;  // head_sha "" when the REST fallback served
  std::string state;                    // "open" | "closed" | "merged"
  bool draft = false;
  std::vector<std::string> labels;
  std::string created_at, updated_at;  // ISO-8601 as GitHub gives them
  std::string url;                     // html url
};

struct SearchOutcome {
  std::vector<FoundPull> pulls;  // deduplicated by repo#number, in GitHub's order
  int requests = 0;              // HTTP requests made (for benchmarks and tests)
  bool complete = false;         // every page was read
  // Why not complete: fault, rate_limited (resume_ms set), blocked (bad query or token). The
  // reason names the query, never the token.
  Problem problem;
  bool used_graphql = false;  // GraphQL served every page (false once REST served any)
};

class PullSearch {
 public:
  explicit PullSearch(Settings settings);
  ~PullSearch();
  PullSearch(const PullSearch &) = delete;
  PullSearch &operator=(const PullSearch &) = delete;

  // query: GitHub search syntax; "is:pr" is added when absent. now_ms: host time for rate-limit
  // resume times; deadline: wall-clock bound of the whole search (stop and report incomplete).
  // Thread-safe (searches are serialised). Never throws for GitHub's faults.
  SearchOutcome search(const std::string &query, int64_t now_ms,
                       std::chrono::steady_clock::time_point deadline);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gk::github
