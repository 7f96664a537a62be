#include "merge.hpp"

#include <cstdio>

#include "fake_http.hpp"
#include "timestamps.hpp"

namespace gkfake::detail {

std::string derived_sha(std::string_view seed) {
  std::string out;
  for (int i = 0; out.size() < 40; ++i) {
    char buf[17];
    std::snprintf(
        buf, sizeof buf, "%016llx",
        static_cast<unsigned long long>(fnv1a(std::string(seed) + "#" + std::to_string(i))));
    out += buf;
  }
  out.resize(40);
  return out;
}

Outcome merge_pull(Store &store, const std::string &repo, int number, const MergeRequest &request) {
  const PullState *found = store.pull(repo, number);
  if (!found) return {404, "Not Found", ""};
  PullState pr = *found;
  if (pr.state != "open") return {405, "Pull Request is not mergeable", ""};
  if (!request.sha.empty() && to_lower(request.sha) != to_lower(pr.head_sha)) {
    return {409, "Head branch was modified. Review and try the merge again.", ""};
  }
  if (pr.merge_refusal_status != 0) {
    return {static_cast<unsigned>(pr.merge_refusal_status),
            pr.merge_message.empty() ? "Pull Request is not mergeable" : pr.merge_message, ""};
  }
  if (pr.draft || pr.mergeable_state == "draft") return {405, "Pull Request is still a draft", ""};
  if (pr.mergeable_state == "dirty" || pr.mergeable_state == "blocked" ||
      pr.mergeable_state == "behind") {
    return {405, "Pull Request is not mergeable", ""};
  }
  pr.state = "closed";
  pr.merged = true;
  pr.updated_at = bumped_time(pr.updated_at);
  pr.closed_at = pr.updated_at;
  pr.merged_at = pr.updated_at;
  pr.merge_method = request.method;
  pr.merge_commit_sha = derived_sha("merge:" + request.method + ":" + to_lower(pr.head_sha));
  store.set(repo, number, pr);
  return {200, "Pull Request successfully merged", pr.merge_commit_sha};
}

Outcome update_branch(Store &store, const std::string &repo, int number,
                      const std::string &expected_head_sha) {
  const PullState *found = store.pull(repo, number);
  if (!found) return {404, "Not Found", ""};
  PullState pr = *found;
  if (pr.state != "open") return {422, "Pull request is closed.", ""};
  if (!expected_head_sha.empty() && to_lower(expected_head_sha) != to_lower(pr.head_sha)) {
    return {422, "expected head sha didn't match current head ref.", ""};
  }
  if (pr.mergeable_state != "behind") {
    return {422, "There are no new commits on the base branch.", ""};
  }
  pr.head_sha = derived_sha("update-branch:" + to_lower(pr.head_sha));
  pr.checks.clear();
  pr.statuses.clear();
  pr.mergeable_state = "clean";
  pr.updated_at = bumped_time(pr.updated_at);
  store.set(repo, number, pr);
  return {202, "Updating pull request branch.", pr.head_sha};
}

Mergeability read_mergeability(Store &store, const std::string &repo, int number) {
  const PullState *pr = store.pull(repo, number);
  if (!pr || pr->merged) return {false, false, "unknown"};
  if (store.take_unknown_mergeable_read(repo, number)) return {false, false, "unknown"};
  return {true, pr->mergeable_state != "dirty", pr->mergeable_state};
}

}  // namespace gkfake::detail
