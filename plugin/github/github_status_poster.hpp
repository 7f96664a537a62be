// Commit statuses on pull requests (core/commit_status.hpp) over GitHub's REST API:
// POST /repos/{owner}/{repo}/statuses/{sha} with the context from github.status_context.
#pragma once

#include <memory>
#include <mutex>

#include "core/commit_status.hpp"
#include "github/settings.hpp"
#include "net/http_client.hpp"

namespace gk::github {

class GitHubStatusPoster final : public StatusPoster {
 public:
  explicit GitHubStatusPoster(Settings settings);
  std::vector<bool> post(const std::vector<CommitStatus> &statuses, int64_t budget_ms) override;

 private:
  Settings settings_;
  net::HttpClient client_;
  std::mutex mutex_;
};

}  // namespace gk::github
