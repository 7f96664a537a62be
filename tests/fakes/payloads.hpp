// GitHub REST payloads built from the official examples of `@octokit/openapi`
// (tests/fixtures/github/rest): each payload is the example, cloned, with the fields that the
// scripted state decides set from it. Everything else keeps the example's values, so every key a
// real client may read is there with a value of the right type.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fake_github.hpp"
#include "merge.hpp"

namespace gkfake::detail {

// The repository as the request spelled it, and where the fake's REST API lives
// ("http://127.0.0.1:PORT/api/v3"), for the `url` fields.
struct RepoRef {
  std::string owner;
  std::string name;
  std::string api_base;
  std::string full() const { return owner + "/" + name; }
};

// The parsed example `name` ("pull", "check_runs", "combined_status", "reviews",
// "search_issues", "merge", "update_branch", "status", "statuses", "review_comments"), loaded once
// from GK_FIXTURES_DIR/github/rest/NAME.json. Throws when the file is missing or not JSON.
const boost::json::value &fixture(std::string_view name);

// GET /repos/{o}/{r}/pulls/{n}; `mergeability` is what this read answers (merge.hpp).
boost::json::object pull_payload(const RepoRef &repo, int number, const PullState &state,
                                 const Mergeability &mergeability);

// A user object of the example's shape for `login` (stable id).
boost::json::object user_payload(const boost::json::object &example, const std::string &login,
                                 const std::string &api_base);

// One element of GET /search/issues `items`: the issue view of a pull request.
boost::json::object search_item_payload(const RepoRef &repo, int number, const PullState &state);

// POST /repos/{o}/{r}/statuses/{sha} (201) and one element of GET .../commits/{ref}/statuses.
boost::json::object status_payload(const RepoRef &repo, const std::string &sha,
                                   const StatusContext &status, std::size_t index);

// One element of GET /repos/{o}/{r}/pulls/{n}/comments.
boost::json::object review_comment_payload(const RepoRef &repo, int number, const PullState &state,
                                           std::size_t index);
// The id GET .../reviews serves for the review at `index` (pull_request_review_id).
int64_t review_id(int number, std::size_t index);

// One element of GET /repos/{o}/{r}/commits/{ref}/check-runs `check_runs`; `pr_number` is
// the pull request whose head the commit is (its `pull_requests` entry), 0 for none.
boost::json::object check_run_payload(const RepoRef &repo, const std::string &sha,
                                      const CheckRun &check, int pr_number);
// A stable, positive id for a check run (the same across runs and processes).
int64_t check_run_id(const std::string &repo, const std::string &sha, const std::string &name);

// GET /repos/{o}/{r}/commits/{ref}/status (all statuses, no pagination).
boost::json::object combined_status_payload(const RepoRef &repo, const std::string &sha,
                                            const std::vector<StatusContext> &statuses);
// GitHub's combined state: failure if any failure or error, pending if any pending or no
// statuses at all, else success.
std::string combined_state(const std::vector<StatusContext> &statuses);

// One element of GET /repos/{o}/{r}/pulls/{n}/reviews; `index` orders id and submitted_at.
boost::json::object review_payload(const RepoRef &repo, int number, const std::string &sha,
                                   const Review &review, std::size_t index);

}  // namespace gkfake::detail
