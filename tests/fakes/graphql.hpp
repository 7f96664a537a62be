// The fake's GraphQL endpoint (POST /api/graphql). It is not a GraphQL engine: a small scanner
// finds the pull requests, searches and merges a query asks for and answers each with one fixed,
// complete shape.
//
// The query shape understood (whitespace, commas and `#` comments anywhere; any number of
// aliases, typically up to 50 in one request; arguments are literals or `$variables` taken from
// the request's "variables" object):
//
//   query {
//     ALIAS: repository(owner: "OWNER", name: "NAME") {
//       pullRequest(number: N) {
//         headRefOid
//         reviewDecision
//         commits(last: 1) { nodes { commit { oid statusCheckRollup { state
//           contexts(first: K, after: "CURSOR") {          # K <= 100, `after` optional
//             totalCount pageInfo { hasNextPage endCursor }
//             nodes { __typename
//               ... on CheckRun { name status conclusion detailsUrl }
//               ... on StatusContext { context state targetUrl } } } } } } }
//         latestReviews(last: 100) { nodes { author { login } state body submittedAt } }  #
//         optional
//       }
//     }
//     ALIAS2: repository(...) { pullRequest(number: M) { ... } }
//     rateLimit { limit cost remaining used resetAt }     # optional, anywhere at the top level
//   }
//
// What is scanned: each `ALIAS: repository(owner: ..., name: ...)` (without an alias the key is
// "repository"), the first `pullRequest(number: ...)` after it, and, up to the next
// `repository(`, `contexts(first:, after:)` and the word `latestReviews`. The selection sets are
// NOT interpreted: every found pull request is answered with all the fields above (latestReviews
// only when the word appears), in this shape:
//
//   {"data": {"ALIAS": {"pullRequest": {
//      "headRefOid": "<sha>", "reviewDecision": "APPROVED" | "CHANGES_REQUESTED" |
//                                                "REVIEW_REQUIRED" | null,
//      "commits": {"nodes": [{"commit": {"oid": "<sha>", "statusCheckRollup": null | {
//          "state": "SUCCESS" | "FAILURE" | "ERROR" | "PENDING",
//          "contexts": {"totalCount": T, "pageInfo": {"hasNextPage": b, "endCursor": "..." | null},
//                       "nodes": [{"__typename": "CheckRun", "name": ..., "status": "COMPLETED",
//                                  "conclusion": "SUCCESS" | ... | null, "detailsUrl": ...},
//                                 {"__typename": "StatusContext", "context": ...,
//                                  "state": "SUCCESS", "targetUrl": ... | null}]}}}}]},
//      "latestReviews": {"nodes": [{"author": {"login": ...}, "state": ..., "body": ...,
//                                   "submittedAt": ...}]}}}}}
//
// Every pullRequest also carries (whatever the selection asks): "id" (the node id, as REST
// node_id), "number", "title", "url", "state" (OPEN | CLOSED | MERGED), "isDraft", "merged",
// "mergeable" (MERGEABLE | CONFLICTING | UNKNOWN; UNKNOWN for the scripted unknown reads, each
// pullRequest answered takes one), "mergeStateStatus" (CLEAN | BEHIND | BLOCKED | DIRTY | DRAFT |
// UNSTABLE | HAS_HOOKS | UNKNOWN), "baseRefName", "headRefName", "createdAt", "updatedAt",
// "author": {"login"}, "labels": {"nodes": [{"name"}]}; every CheckRun node also "title" and
// "summary" (null when not scripted).
//
// Search (any number of aliases, also next to repository asks; `first` is clamped to 1..100,
// default 10; the qualifiers of search.hpp):
//
//   ALIAS: search(query: "repo:o/r is:pr is:open label:x", type: ISSUE, first: N, after: "C") {
//     issueCount pageInfo { hasNextPage endCursor }
//     nodes { ... on PullRequest { id number title url state isDraft headRefOid createdAt
//             updatedAt author { login } repository { nameWithOwner }
//             labels(first: 100) { nodes { name } } } } }
//
//   -> {"ALIAS": {"issueCount": T, "pageInfo": {"hasNextPage": b, "endCursor": "..." | null},
//                 "nodes": [{"__typename": "PullRequest", "id", "number", "title", "url",
//                            "state", "isDraft", "merged", "headRefOid", "headRefName",
//                            "baseRefName", "createdAt", "updatedAt", "author": {"login"},
//                            "repository": {"nameWithOwner"}, "labels": {"nodes": [{"name"}]}}]}}
//   issueCount is every match; only the first 1,000 are reachable (hasNextPage is false there).
//   A type other than ISSUE finds nothing; an invalid date is "ALIAS": null and an error.
//
// Mutations (a query whose first word is `mutation`; any number of aliases; `input` a literal
// object or a $variable):
//
//   mutation { ALIAS: mergePullRequest(input: {pullRequestId: "PR_kwDO...",
//                                             expectedHeadOid: "<sha>",       # optional
//                                             mergeMethod: MERGE | SQUASH | REBASE,  # MERGE
//                                             commitHeadline: "..."}) {       # optional
//                pullRequest { merged mergeCommit { oid } } } }
//
//   -> {"data": {"ALIAS": {"clientMutationId": null, "pullRequest": {"id", "number",
//                "state": "MERGED", "merged": true, "mergedAt", "headRefOid",
//                "mergeCommit": {"oid": "<sha>"}}}}}
//   Refusals (merge.hpp decides, as for REST) are HTTP 200 with "ALIAS": null and
//   {"type": "UNPROCESSABLE", "path": ["ALIAS"], "locations": [...], "message": the REST message,
//   e.g. "Head branch was modified. Review and try the merge again."}; an unknown id is
//   {"type": "NOT_FOUND", "message": "Could not resolve to a node with the global id of 'X'."}.
//
// Check runs come first, then status contexts, in the scripted order. statusCheckRollup is null
// when the commit has no check runs and no statuses (as on GitHub). Rollup state: FAILURE if any
// check concluded failure, timed_out, cancelled, action_required, startup_failure or stale, or
// any status is failure; else ERROR if any status is error; else PENDING if any check is not
// completed or any status is pending; else SUCCESS.
//
// Unknown things, as GitHub answers them (HTTP 200 in both cases):
//   - a repository with no scripted pull request: "ALIAS": null and an error
//     {"type": "NOT_FOUND", "path": ["ALIAS"], "locations": [...],
//      "message": "Could not resolve to a Repository with the name 'o/r'."}
//   - an unknown pull request of a known repository: "ALIAS": {"pullRequest": null} and an error
//     {"type": "NOT_FOUND", "path": ["ALIAS", "pullRequest"], "locations": [...],
//      "message": "Could not resolve to a PullRequest with the number of N."}
// A body that is not JSON is 400 {"message": "Problems parsing JSON", ...}; a query in which the
// scanner finds nothing is 200 {"errors": [{"message": ...}]} without "data".
#pragma once

#include <cstdint>

#include "fake_http.hpp"
#include "fake_store.hpp"

namespace gkfake::detail {

struct GraphqlRateLimit {
  int limit = 5000;
  int remaining = 5000;  // after this request
  int64_t reset_epoch_s = 0;
};

// Takes a mergeable read per pull request asked, and changes the store for mutations.
HttpResponse answer_graphql(Store &store, const HttpRequest &request, const GraphqlRateLimit &rate);

}  // namespace gkfake::detail
