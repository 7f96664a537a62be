// The JSON description of a fake GitHub's state, for `gk-fake-github --state FILE.json`:
//
//   {"pulls": [{"repo": "o/r", "number": 1, "head_sha": "...",             // head_sha optional
//               "checks": [{"name": "build", "status": "completed", "conclusion": "success",
//                           "details_url": "..."}],                          // all but name
//                           optional
//               "statuses": [{"context": "ci/x", "state": "success", "target_url": "..."}],
//               "reviews": [{"user": "alice", "state": "APPROVED", "body": "..."}],
//               "review_decision": "APPROVED"}],                             // or "" / null /
//               absent
//    "faults": [{"fault": "server_error", "times": 2, "path_prefix": "/api/v3"}],  // optional
//    "graphql": true,                                                        // optional
//    "rate_limit": {"remaining": 5000, "reset": 1700000000}}                 // optional
//
// Fault names are those of the Fault enum ("server_error", "hang", "rate_limited", ...).
// Every reload replaces the pulls and the faults; graphql and rate_limit are applied when given.
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
};

// Throws std::runtime_error naming what is wrong.
ScriptedState parse_state(const std::string &json_text);
ScriptedState load_state_file(const std::string &path);

// Applies a whole scripted state to a running fake.
void apply_state(FakeGitHub &fake, const ScriptedState &state);

Fault fault_from_name(const std::string &name);  // throws on unknown names

}  // namespace gkfake
