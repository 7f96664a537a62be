// Merge tasks (`merge:` in a goal file, the gate type gh_merge): the plugin merges the pull request
// itself, at the head commit the gates before the task approved. One poll reads the pull request
// and then does at most one mutation: update the branch, merge, delete the branch. REST only
// (PUT .../pulls/N/merge with `sha`, PUT .../update-branch with `expected_head_sha`): merges are
// few, and REST's answers carry GitHub's own reason for a refusal.
//
//   merged (by us or outside)         pass {"merged": true, "merge_sha", "method", "by"}
//   closed without merging            blocked "pull request closed without merging"
//   draft                             wait (until marked ready for review)
//   head is not the approved one      recheck: the gates before the task check the new head
//   mergeable null (GitHub computing) wait, read again with backoff; never a refusal
//   behind + update_branch            PUT update-branch, then recheck (the head moves)
//   ready to merge                    the intent (the head) is recorded first, the merge sent at
//                                     the next poll, so a merge whose answer is lost is ours
//   merge 200                         pass
//   merge 409 (head moved)            recheck; nothing was merged
//   merge 405 / 422                   blocked with GitHub's message
// With dry_run nothing is sent but reads: the gate waits with "would merge ... at <sha>".
#pragma once

#include <memory>

#include "core/gate_checker.hpp"
#include "github/settings.hpp"

namespace gk::github {

class MergeChecker final : public GateChecker {
 public:
  explicit MergeChecker(Settings settings);
  ~MergeChecker() override;

  bool handles(std::string_view gate_type) const override { return gate_type == "gh_merge"; }
  std::vector<GateOutcome> poll(const std::vector<GatePoll> &due, int64_t now_ms,
                                int64_t budget_ms) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gk::github
