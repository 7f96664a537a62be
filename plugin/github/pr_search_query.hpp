// The text of a pull-request search: "is:pr" added when absent, the query's own created:
// qualifier taken out so that the 1,000-result cap can be worked around with created: windows
// (pr_search.hpp), and the encodings the two APIs need.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gk::github::pr_search {

constexpr int64_t kOpenLow = std::numeric_limits<int64_t>::min();
constexpr int64_t kOpenHigh = std::numeric_limits<int64_t>::max();
// 2008-01-01T00:00:00Z: GitHub has no pull request older than this, so an open lower end is
// halved from here.
constexpr int64_t kGitHubEpochS = 1'199'145'600;

// Creation times in epoch seconds, both ends inclusive; kOpenLow / kOpenHigh: unbounded.
struct Range {
  int64_t lo = kOpenLow;
  int64_t hi = kOpenHigh;
  bool operator==(const Range &) const = default;
};

struct PreparedQuery {
  std::string text;        // what the caller asked, with is:pr (for messages)
  std::string base;        // text without its created: qualifier
  Range range;             // the created: qualifier's range (open when there is none)
  bool splittable = true;  // false: a created: qualifier we cannot narrow (negated, repeated)
  bool ascending = false;  // sort:created-asc: windows are read oldest first
};

PreparedQuery prepare(std::string_view query);

// base plus " created:<range>" (base alone for the open range).
std::string window_query(const PreparedQuery &q, const Range &r);

// The two halves of `r`, or nullopt when it cannot be halved (one second, or nothing before
// 2008 / after now to halve).
std::optional<std::pair<Range, Range>> halve(const Range &r, int64_t now_epoch_s);

// YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|-HH:MM] (no zone: UTC, as GitHub assumes) to
// epoch seconds; date_only tells which.
std::optional<int64_t> parse_time(std::string_view text, bool *date_only = nullptr);
std::string iso8601(int64_t epoch_s);  // "2024-01-02T03:04:05Z"

// Percent-encoding of a query-string value (everything but A-Z a-z 0-9 - . _ ~).
std::string url_encode(std::string_view s);

// Terms separated by spaces; "double quotes" group words and are kept.
std::vector<std::string> terms(std::string_view query);

}  // namespace gk::github::pr_search
