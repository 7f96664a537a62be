// What merging a pull request and updating its branch do to the scripted state, shared by the
// REST routes (PUT .../pulls/N/merge, PUT .../pulls/N/update-branch) and the GraphQL mutation
// mergePullRequest, so both refuse and succeed alike.
//
// A merge is decided in this order:
//   1. the pull request is closed (merged or not)        405 "Pull Request is not mergeable"
//   2. `sha` given and not the head                       409 "Head branch was modified. Review
//                                                             and try the merge again."
//   3. merge_refusal_status scripted (405 or 422)          that status and merge_message
//   4. draft (or mergeable_state "draft")                 405 "Pull Request is still a draft"
//   5. mergeable_state dirty, blocked or behind           405 "Pull Request is not mergeable"
//   6. otherwise                                          200: state closed, merged, merged_at
//      and closed_at now, merge_commit_sha derived from the head and the method, merge_method
// Pending unknown mergeable reads do not stop a merge (GitHub decides at merge time).
//
// update-branch (GitHub answers 422 to every refusal):
//   the pull request is closed                            422 "Pull request is closed."
//   expected_head_sha given and not the head             422 "expected head sha didn't match
//                                                             current head ref."
//   mergeable_state not "behind"                          422 "There are no new commits on the
//                                                             base branch."
//   otherwise                                             202: the head moves to a new commit
//      (derived from the old sha, without checks or statuses: CI has not run on it yet; the old
//      commit keeps its own) and mergeable_state becomes "clean".
// Every success sets updated_at (timestamps.hpp: bumped_time).
#pragma once

#include <string>
#include <string_view>

#include "fake_store.hpp"

namespace gkfake::detail {

struct MergeRequest {
  std::string sha;               // "" : no check of the head
  std::string method = "merge";  // merge | squash | rebase (already validated)
  std::string commit_title;
};

struct Outcome {
  unsigned status = 200;
  std::string message;
  std::string sha;  // the merge commit (merge) or the new head (update-branch)
};

Outcome merge_pull(Store &store, const std::string &repo, int number, const MergeRequest &request);
Outcome update_branch(Store &store, const std::string &repo, int number,
                      const std::string &expected_head_sha);

// What a read of the pull request answers for mergeability; takes one unknown read. A merged
// pull request answers null / "unknown", as GitHub does.
struct Mergeability {
  bool known = true;
  bool mergeable = true;
  std::string state = "clean";
};
Mergeability read_mergeability(Store &store, const std::string &repo, int number);

// A 40-hex-digit sha derived from `seed`, the same in every process.
std::string derived_sha(std::string_view seed);

}  // namespace gkfake::detail
