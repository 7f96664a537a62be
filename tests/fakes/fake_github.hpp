// A fake GitHub for tests: a real HTTP/1.1 server on 127.0.0.1 (port 0, then read the port) that
// serves GitHub's own example payload shapes (tests/fixtures/github) for the pull request, check
// runs, combined status, reviews and GraphQL endpoints, with scriptable state, fault modes and
// request counting. It runs on its own thread in the test process; `gk-fake-github` runs it as a
// process for tests that drive the `goalkeeper` command.
//
// Where the details live:
//   rest_routes.hpp  REST routes under /api/v3, pagination (per_page, page, Link), 404/422 bodies
//   payloads.hpp     how each payload is built from the official example
//   graphql.hpp      the exact GraphQL query shape understood at /api/graphql, and its answers
//   faults.hpp       what each Fault answers; truncated_json sends the full Content-Length and half
//                    the body, then closes the connection (libcurl: CURLE_PARTIAL_FILE)
//   state_file.hpp   the JSON state file of `gk-fake-github`
// Every REST 200 carries an ETag (W/"..."); a matching If-None-Match gets 304 without a body,
// which is not counted and does not use the rate limit. GraphQL answers carry no ETag. Every
// answer except unauthorized/forbidden faults carries x-ratelimit-limit, -remaining, -reset,
// -used and -resource (core for REST, graphql for GraphQL).
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
};

struct StatusContext {
  std::string context;
  std::string state;  // success | failure | error | pending
  std::string target_url;
};

struct Review {
  std::string user;
  std::string state;  // APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED | PENDING
  std::string body;
};

struct PullState {
  std::string head_sha = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
  std::vector<CheckRun> checks;
  std::vector<StatusContext> statuses;
  std::vector<Review> reviews;
  std::string review_decision;  // APPROVED | CHANGES_REQUESTED | REVIEW_REQUIRED | "" (null)
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

  // Requests received, by path prefix ("" = all). Counted requests exclude 304 Not Modified
  // answers, as GitHub's rate limit does.
  int requests(std::string_view path_prefix = "") const;
  int counted_requests() const;
  void reset_counts();
  // The Authorization header of the last request ("" when none), for token tests.
  std::string last_authorization() const;
  std::vector<std::string> request_log() const;  // "GET /api/v3/repos/o/r/pulls/1" in order

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gkfake
