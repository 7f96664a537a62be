// How discovery finds pull requests: the engine asks a PullFinder (plugin/github implements it
// with GitHub's search) between transactions, as it asks gate checkers, so a slow search never
// holds the state's write lock.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gk {

struct FoundPullRequest {
  std::string repo;  // "owner/name"
  int64_t number = 0;
  std::string title, author, head_sha, url;
  std::string state;  // open | closed | merged
  bool draft = false;
  std::string updated_at;
};

struct PullSearchResult {
  std::vector<FoundPullRequest> pulls;
  bool complete = false;    // every page was read; an incomplete search changes no goal
  std::string problem;      // why not complete (names the query, never a token)
  bool blocked = false;     // the query itself is refused: a person must fix it
  int64_t retry_at_ms = 0;  // host time: a rate limit says not before then (0 = the schedule)
  int requests = 0;
};

class PullFinder {
 public:
  virtual ~PullFinder() = default;
  // GitHub search syntax; within about budget_ms. Must not throw for the service's faults.
  virtual PullSearchResult find(const std::string &query, int64_t now_ms, int64_t budget_ms) = 0;
};

}  // namespace gk
