// gh_ci: what GitHub reports for one commit (check runs and commit statuses, from REST or from
// GraphQL's statusCheckRollup), and the gate's verdict on it (docs/design.md "Gates").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "github/verdict.hpp"

namespace gk::github {

struct CheckRunInfo {
  std::string name;
  std::string status;  // lower case: queued, in_progress, completed, waiting, requested, pending
  std::string conclusion;  // lower case; "" while not completed
  std::string url;
  int64_t id = 0;          // REST id (0 when unknown)
  std::string started_at;  // ISO 8601 ("" when unknown)
  std::string title;       // output.title ("" when none)
  std::string summary;     // output.summary (Markdown, "" when none)
};

struct StatusInfo {
  std::string context;
  std::string state;  // lower case: success, failure, error, pending (GraphQL also: expected)
  std::string url;
  std::string description;  // "" when none
};

struct CiSnapshot {
  std::string head_sha;
  std::vector<CheckRunInfo> runs;  // every run seen, in the order GitHub listed them
  std::vector<StatusInfo> statuses;
  // REST's combined state when it reported statuses (total_count > 0); else derived.
  std::optional<std::string> combined_state;
};

// The latest run per check name: highest id, then latest started_at, then listed last.
std::vector<CheckRunInfo> latest_runs(const std::vector<CheckRunInfo> &runs);

// pass / fail / wait by docs/design.md; `required` (the gate's `checks:`) limits the gate to those
// names (check runs or status contexts); a required name that has not appeared waits. A failure's
// artifacts: head_sha, failed_checks [{name, conclusion, url, title, summary}] and
// failed_statuses [{context, state, url, description}], at most kFailureMaxChecks of each
// (failed_checks_omitted / failed_statuses_omitted: how many more), their texts cleaned and cut
// by prompt_text (core/failure_text.hpp).
Verdict evaluate_ci(const CiSnapshot &snapshot, const std::vector<std::string> &required);

// The required names (the gate's `checks:`) no check run or status context reports, in order.
std::vector<std::string> missing_checks(const CiSnapshot &snapshot,
                                        const std::vector<std::string> &required);

// A short stable digest of everything that decides the verdict (to notice "nothing changed").
std::string ci_fingerprint(const CiSnapshot &snapshot);

}  // namespace gk::github
