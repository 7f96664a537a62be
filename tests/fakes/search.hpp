// GitHub's issue search over the scripted pull requests, shared by REST GET /search/issues and
// the GraphQL `search(query:, type: ISSUE)` connection.
//
// Terms are separated by spaces; "double quotes" group words (label:"needs review"). A leading
// `-` negates a qualifier. Qualifiers (case-insensitive keys and values):
//   repo:O/R                 several repo: qualifiers match any of them
//   is:pr  type:pr           every scripted item is a pull request; is:issue / type:issue match
//                            nothing
//   is:open  is:closed  state:open|closed  is:merged  is:unmerged (closed, not merged)
//   is:draft  draft:true|false
//   label:X                  has label X; label:A,B has A or B; several label: must all hold
//   author:LOGIN  base:REF  head:REF
//   created:  updated:  closed:  merged:   with >=D, >D, <=D, <D, D..E, D..*, *..E or D, where D
//                            is YYYY-MM-DD (the whole UTC day) or a full ISO-8601 time
//   sort:created-asc|created-desc|updated-asc|updated-desc
// Other key:value terms are ignored (GitHub has many more). Free words must all occur in the
// title (case-insensitive); AND, OR and NOT are ignored.
//
// Order: the REST `sort` (created | updated; others are best match) and `order` (asc | desc,
// default desc) parameters, else a sort: qualifier, else "best match", which the fake takes as
// newest created first. Ties: repository, then number descending.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fake_store.hpp"

namespace gkfake::detail {

// GitHub serves at most the first 1,000 results of a search (REST and GraphQL).
constexpr std::size_t kSearchCap = 1000;

struct SearchResult {
  std::vector<Store::Listed> hits;  // all matches, in order (total_count / issueCount)
  std::string error;                // non-empty: the query is invalid (e.g. a bad date)
};

// `sort`/`order`: the REST parameters ("" when absent).
SearchResult search_pulls(const Store &store, std::string_view query, std::string_view sort = "",
                          std::string_view order = "");

}  // namespace gkfake::detail
