// The gh_ci and gh_review checker: one poll() asks GitHub about every due gate at once, on one
// libcurl multi handle, within the poll's time budget. Pull requests go into batched GraphQL
// requests (up to 50 per request); where GraphQL cannot serve (not enabled, no token, 404/501,
// errors without data) the REST API is used with conditional requests (ETags), and GraphQL is
// tried again after `graphql_retry_s`. Rate limits pause all polling of GitHub until they reset.
#pragma once

#include <memory>

#include "core/gate_checker.hpp"
#include "github/settings.hpp"

namespace gk::github {

class GitHubChecker final : public GateChecker {
 public:
  explicit GitHubChecker(Settings settings);
  ~GitHubChecker() override;

  bool handles(std::string_view gate_type) const override;
  // Thread-safe (polls are serialised). Never throws for GitHub's faults.
  std::vector<GateOutcome> poll(const std::vector<GatePoll> &due, int64_t now_ms,
                                int64_t budget_ms) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gk::github
