// The JSON description of a fake GitHub's state, for `gk-fake-github --state FILE.json`:
//
//   {"pulls": [{"repo": "o/r", "number": 1,                   // required; all else optional
//               "head_sha": "...",
//               "checks": [{"name": "build", "status": "completed", "conclusion": "success",
//                           "details_url": "...", "title": "...", "summary": "..."}],
//               "statuses": [{"context": "ci/x", "state": "success", "target_url": "...",
//                             "description": "..."}],
//               "reviews": [{"user": "alice", "state": "APPROVED", "body": "..."}],
//               "review_decision": "APPROVED",                // or "" / null / absent
//               "comments": [{"user": "alice", "path": "src/a.cpp", "line": 12, "body": "...",
//                             "review_index": 0}],            // index into "reviews", or -1
//               "title": "...", "author": "octocat", "labels": ["ready", "bug"],
//               "state": "open",                              // open | closed
//               "merged": false,                              // true implies state closed
//               "draft": false,
//               "created_at": "2024-01-01T00:00:00Z", "updated_at": "...",
//               "closed_at": "...", "merged_at": "...",       // "" / absent: null
//               "base_ref": "main", "head_ref": "feature",
//               "mergeable_state": "clean",                   // clean | behind | blocked | ...
//               "unknown_mergeable_reads": 2,                 // reads answered null first
//               "merge_refusal_status": 405,                  // 0: the state decides
//               "merge_message": "Required status check \"unit-tests\" is failing.",
//               "merge_commit_sha": "...", "merge_method": "squash"}],
//    "faults": [{"fault": "server_error", "times": 2, "path_prefix": "/api/v3"}],
//    "graphql": true,
//    "rate_limit": {"remaining": 5000, "reset": 1700000000},
//    "search_rate_limit": {"remaining": 30, "reset": 1700000000}}
//
// The PullState defaults (fake_github.hpp) apply to every absent key. Fault names are those of
// the Fault enum ("server_error", "hang", "rate_limited", ...). Every reload replaces the pulls
// (so also what the API changed: merges, new heads, posted statuses) and the faults; graphql and
// the rate limits are applied when given. Mutations are not part of the state: the process
// serves them at GET /_fake/mutations (fake_github_main.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fake_github.hpp"

namespace gkfake {

struct ScriptedFault {
  Fault fault = Fault::none;
  int times = -1;
  std::string path_prefix;
};

struct ScriptedState {
  std::vector<PullEntry> pulls;
  std::vector<ScriptedFault> faults;
  std::optional<bool> graphql;
  std::optional<int> rate_remaining;
  std::optional<int64_t> rate_reset;
  std::optional<int> search_remaining;
  std::optional<int64_t> search_reset;
};

// Throws std::runtime_error naming what is wrong.
ScriptedState parse_state(const std::string &json_text);
ScriptedState load_state_file(const std::string &path);

// Applies a whole scripted state to a running fake.
void apply_state(FakeGitHub &fake, const ScriptedState &state);

Fault fault_from_name(const std::string &name);  // throws on unknown names

}  // namespace gkfake
