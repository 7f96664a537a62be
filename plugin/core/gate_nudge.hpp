// A push from outside (a webhook delivery) that says some gates may have changed. The webhook
// mapping (plugin/github) makes one from a delivery; the engine brings the matching gates' polls
// forward and counts the repository as fed by webhooks (nudge.cpp, feeds.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gk {

struct GateNudge {
  std::string delivery;            // deduplication key; "" = none
  std::string event;               // what happened, for events and messages
  std::vector<std::string> types;  // gate types concerned (gh_ci, gh_review); none: only recorded
  std::string repo;                // "owner/name", any case
  std::vector<int64_t> prs;        // pull requests named by the payload
  std::string sha;                 // head commit named by the payload; "" = none
  bool restart = false;            // new head pushed: resolved parts start over
  // A pull request opened, reopened, labeled, unlabeled, closed or pushed to: the triggers that
  // watch its repository search at the next step (the webhook first, the poll reconciles).
  bool discovery = false;
};

}  // namespace gk
