// The REST routes of the fake, under the GHES-style base /api/v3 (GET only):
//   /api/v3/repos/{o}/{r}/pulls/{n}
//   /api/v3/repos/{o}/{r}/pulls/{n}/reviews             per_page (default 30, max 100), page
//   /api/v3/repos/{o}/{r}/commits/{sha}/check-runs      per_page, page, check_name
//   /api/v3/repos/{o}/{r}/commits/{sha}/status          all statuses at once
// Paginated answers carry GitHub's `Link` header (rel="prev", "next", "last", "first", the ones
// that apply; none when everything fits one page). An unknown repository, pull request or route
// is 404 {"message":"Not Found",...}; an unknown commit of a known repository is 422
// {"message":"No commit found for SHA: ..."} as on GitHub. Commits are looked up by full sha
// (branch names are not resolved).
#pragma once

#include <string_view>

#include "fake_http.hpp"
#include "fake_store.hpp"

namespace gkfake::detail {

// `origin` is "http://127.0.0.1:PORT". The answer has no ETag and no rate-limit headers yet.
HttpResponse route_rest(const Store &store, const HttpRequest &request, std::string_view origin);

// Percent-decoding of a query component ('+' is a space).
std::string url_decode(std::string_view s);

}  // namespace gkfake::detail
