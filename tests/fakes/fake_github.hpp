// A fake GitHub for tests: a real HTTP/1.1 server on 127.0.0.1 (port 0, then read the port) that
// serves GitHub's own example payload shapes (tests/fixtures/github) for the pull request, check
// runs, combined status, reviews and GraphQL endpoints, with scriptable state, fault modes and
// request counting. It runs on its own thread in the test process; `gk-fake-github` runs it as a
// process for tests that drive the `goalkeeper` command.
//
// Where the details live:
//   rest_routes.hpp  REST routes under /api/v3, pagination (per_page, page, Link), 404/422 bodies
//   write_routes.hpp the REST routes that change state: merge, update-branch, refs, statuses
//   merge.hpp        when a merge or an update-branch succeeds, and what it changes
//   search.hpp       the search qualifiers understood (REST /search/issues and GraphQL search)
//   payloads.hpp     how each payload is built from the official example
//   graphql.hpp      the exact GraphQL query shapes understood at /api/graphql, and their answers
//   faults.hpp       what each Fault answers; truncated_json sends the full Content-Length and half
//                    the body, then closes the connection (libcurl: CURLE_PARTIAL_FILE)
//   state_file.hpp   the JSON state file of `gk-fake-github`
// Every REST 200 carries an ETag (W/"..."); a matching If-None-Match gets 304 without a body,
// which is not counted and does not use the rate limit. GraphQL answers carry no ETag. Every
// answer except unauthorized/forbidden faults carries x-ratelimit-limit, -remaining, -reset,
// -used and -resource (core for REST, search for /api/v3/search/..., graphql for GraphQL).
// Every request that may change something (REST POST/PUT/PATCH/DELETE, GraphQL bodies with the
// word `mutation`) is recorded in order, whatever it was answered (mutations()).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gkfake {

struct CheckRun {
  std::string name;
  std::string status =
      "completed";          // queued | in_progress | completed | waiting | requested | pending
  std::string conclusion;   // success | failure | neutral | cancelled | skipped |
                            // timed_out | action_required | stale | startup_failure | ""
  std::string details_url;  // default: derived from the name
  std::string title;        // output.title (REST), title (GraphQL); "" is null
  std::string summary;      // output.summary (REST), summary (GraphQL); "" is null
};

struct StatusContext {
  std::string context;
  std::string state;  // success | failure | error | pending
  std::string target_url;
  std::string description;  // "" serves "<context> is <state>"
};

struct Review {
  std::string user;
  std::string state;  // APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED | PENDING
  std::string body;
};

// A line comment of a review (GET .../pulls/N/comments).
struct ReviewComment {
  std::string user;
  std::string path;
  int line = 1;
  std::string body;
  int review_index = -1;  // the PullState::reviews entry it belongs to (its id is served as
                          // pull_request_review_id); -1: null
};

// Defaults are the values of GitHub's example pull request, so a state that sets only the head
// and checks serves what it served before these fields existed.
struct PullState {
  std::string head_sha = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
  std::vector<CheckRun> checks;
  std::vector<StatusContext> statuses;
  std::vector<Review> reviews;
  std::string review_decision;  // APPROVED | CHANGES_REQUESTED | REVIEW_REQUIRED | "" (null)

  std::string title = "Amazing new feature";
  std::string author = "octocat";   // user.login, author.login
  std::vector<std::string> labels;  // names
  std::string state = "open";       // open | closed
  bool merged = false;              // true only with state "closed"
  bool draft = false;
  // ISO-8601. A mutation (merge, update-branch, status) sets updated_at to the current time
  // (at least one second after the old value). closed_at and merged_at: "" is null; a merge sets
  // both.
  std::string created_at = "2011-01-26T19:01:12Z";
  std::string updated_at = "2011-01-26T19:01:12Z";
  std::string closed_at;
  std::string merged_at;
  std::string base_ref = "master";
  std::string head_ref = "new-topic";
  // clean | behind | blocked | dirty | draft | unstable | has_hooks | unknown. `mergeable` is
  // computed from it: false for dirty, true otherwise.
  std::string mergeable_state = "clean";
  // GitHub computes mergeability in the background: the first this many reads of the pull
  // request (REST GET .../pulls/N, GraphQL pullRequest) answer "mergeable": null and
  // "mergeable_state": "unknown" (GraphQL: UNKNOWN); each read takes one.
  int unknown_mergeable_reads = 0;
  // Scripted merge refusal: 0 lets the state decide (merge.hpp); 405 or 422 refuses every merge
  // with merge_message ("" is "Pull Request is not mergeable"), e.g.
  // "Required status check \"unit-tests\" is failing."
  int merge_refusal_status = 0;
  std::string merge_message;
  // Set by a successful merge.
  std::string merge_commit_sha;
  std::string merge_method;  // merge | squash | rebase
  std::vector<ReviewComment> comments;
};

// One pull request of a whole scripted state (set_pulls, the state file of `gk-fake-github`).
struct PullEntry {
  std::string repo;  // "owner/name"
  int number = 0;
  PullState state;
};

enum class Fault {
  none,
  server_error,    // 502 with an HTML body
  hang,            // accepts, never answers (until the client gives up)
  rate_limited,    // 403 with x-ratelimit-remaining: 0 and x-ratelimit-reset
  too_many,        // 429 with Retry-After
  bad_json,        // 200 with a body that is not JSON
  truncated_json,  // 200 with JSON cut in the middle
  unauthorized,    // 401 without rate-limit headers
  forbidden,       // 403 without rate-limit headers
  not_found,       // 404
};

// One request that may have changed something, as received.
struct Mutation {
  std::string method;   // POST | PUT | PATCH | DELETE
  std::string path;     // the target without its query: "/api/v3/repos/o/r/pulls/1/merge"
  std::string body;     // as sent (JSON text, or "")
  unsigned status = 0;  // what the fake answered
};

class FakeGitHub {
 public:
  FakeGitHub();  // starts serving at once
  ~FakeGitHub();
  FakeGitHub(const FakeGitHub &) = delete;
  FakeGitHub &operator=(const FakeGitHub &) = delete;

  uint16_t port() const;
  std::string api_url() const;      // "http://127.0.0.1:PORT/api/v3"  (GHES-style base)
  std::string graphql_url() const;  // "http://127.0.0.1:PORT/api/graphql"

  // Repositories are matched case-insensitively, as GitHub does. A commit keeps the checks and
  // statuses it had when a newer head replaced it (GET .../commits/OLD_SHA/check-runs still works).
  void set_pull(const std::string &repo, int number, const PullState &state);
  PullState pull(const std::string &repo, int number) const;  // throws std::out_of_range
  // Replaces every pull request at once (no request sees a half-applied state).
  void set_pulls(const std::vector<PullEntry> &pulls);

  // The next `times` requests (-1: until cleared) whose path starts with `path_prefix` get the
  // fault. "" matches every path; "/api/graphql" only GraphQL.
  void set_fault(Fault fault, int times = -1, const std::string &path_prefix = "");
  // The next `times` requests (-1: until cleared) whose path starts with `path_prefix` are
  // answered 301 Moved Permanently with `location`, as GitHub answers for a renamed repository.
  // Tried before the faults.
  void set_redirect(const std::string &path_prefix, const std::string &location, int times = -1);
  void clear_faults();  // and the redirects
  // GraphQL off: /api/graphql answers 404 (as on servers without it).
  void set_graphql_enabled(bool enabled);
  // Seconds until the rate-limit window resets, reported in x-ratelimit-reset (epoch seconds).
  // Both resources (core for REST, graphql) start again from `remaining`; each counted request
  // takes one. At 0 every further request of that resource gets the `rate_limited` answer, as on
  // GitHub. Defaults: 5000 remaining, reset one hour after construction.
  void set_rate_limit(int remaining, int64_t reset_epoch_s);
  // The search resource (/api/v3/search/...): 30 a minute on GitHub. Starts from `remaining`
  // (the limit stays 30 unless `remaining` is larger), resets to the full limit at
  // `reset_epoch_s` and then every 60 seconds. Default: 30, reset a minute after construction.
  void set_search_rate_limit(int remaining, int64_t reset_epoch_s);

  // Requests received, by path prefix ("" = all). Counted requests exclude 304 Not Modified
  // answers, as GitHub's rate limit does.
  int requests(std::string_view path_prefix = "") const;
  int counted_requests() const;
  void reset_counts();
  // The Authorization header of the last request ("" when none), for token tests.
  std::string last_authorization() const;
  std::vector<std::string> request_log() const;  // "GET /api/v3/repos/o/r/pulls/1" in order
  // Every recorded mutation in order (not cleared by reset_counts, nor by set_pulls).
  std::vector<Mutation> mutations() const;
  void clear_mutations();
  // Branches deleted with DELETE .../git/refs/heads/BRANCH, in order.
  std::vector<std::string> deleted_branches(const std::string &repo) const;
  // The GraphQL node id of a pull request ("PR_kwDO..."), also served as REST node_id; stable
  // across processes.
  static std::string pull_node_id(const std::string &repo, int number);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gkfake
