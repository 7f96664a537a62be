// Status back on the pull request: a commit status on its head (context `goalkeeper`, or
// github.status_context) that says what the goal waits for. The engine decides what to say and
// when it changed (pr_status.cpp); a StatusPoster (plugin/github) sends it, between
// transactions, as checkers poll.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gk {

struct CommitStatus {
  std::string goal_id;
  std::string repo;  // "owner/name"
  std::string sha;
  std::string state;        // pending | success | failure | error
  std::string description;  // at most 140 bytes (GitHub's limit)
  std::string target_url;   // "" = none
};

class StatusPoster {
 public:
  virtual ~StatusPoster() = default;
  // One answer per status, in order: true when GitHub took it. Must not throw for faults.
  virtual std::vector<bool> post(const std::vector<CommitStatus> &statuses, int64_t budget_ms) = 0;
};

}  // namespace gk
