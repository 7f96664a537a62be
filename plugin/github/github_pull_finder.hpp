// Discovery's pull-request search (core/pull_finder.hpp) over GitHub's search API (pr_search.hpp).
#pragma once

#include <memory>

#include "core/pull_finder.hpp"
#include "github/pr_search.hpp"

namespace gk::github {

class GitHubPullFinder final : public PullFinder {
 public:
  explicit GitHubPullFinder(Settings settings) : search_(std::move(settings)) {}
  PullSearchResult find(const std::string &query, int64_t now_ms, int64_t budget_ms) override;

 private:
  PullSearch search_;
};

}  // namespace gk::github
