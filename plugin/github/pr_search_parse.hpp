// One page of a pull-request search, as GraphQL and REST ask for it and answer it, read into
// one shape. Readers never throw: what does not have the documented shape is reported.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "github/pr_search.hpp"

namespace gk::github::pr_search {

constexpr int kPageSize = 100;
constexpr int64_t kResultCap = 1000;  // GitHub serves the first 1,000 matches of a query

struct Page {
  int64_t total = 0;             // issueCount / total_count: every match, beyond the cap too
  std::vector<FoundPull> pulls;  // this page's pull requests (other items are skipped)
  bool has_next = false;
  std::string cursor;               // GraphQL: the next page's `after`
  bool incomplete_results = false;  // REST: GitHub's search timed out and may have missed some
  std::optional<int64_t> rate_remaining;  // GraphQL rateLimit { remaining resetAt }
  std::string rate_reset_at;
};

// The POST body: the search query with $q and $cursor as variables (never spliced into the
// query text, so a query cannot change the GraphQL document).
std::string graphql_request_body(const std::string &query, const std::string &cursor);

struct GraphqlAnswer {
  enum class Kind {
    ok,
    unavailable,   // errors without data: the endpoint cannot serve us, use REST
    rate_limited,  // an error of type RATE_LIMITED
    refused,       // errors about the search with no search result: a query GitHub refuses
    malformed,     // not the JSON we expect
  };
  Kind kind = Kind::malformed;
  std::string message;  // refused: GitHub's messages; malformed: what is wrong
  Page page;            // ok
};
GraphqlAnswer parse_graphql(std::string_view body);

// GET {api}/search/issues?q=...&per_page=100&page=N
std::string rest_url(const std::string &api, const std::string &query, int page);

struct RestAnswer {
  std::string malformed;  // non-empty: what is wrong with the body
  Page page;
};
RestAnswer parse_rest(std::string_view body, int page);

// What a REST refusal (422) says: "Validation Failed: The date in ... is not valid."
std::string refusal_message(std::string_view body);

}  // namespace gk::github::pr_search
