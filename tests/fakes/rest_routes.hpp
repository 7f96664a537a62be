// The REST routes of the fake that read, under the GHES-style base /api/v3 (GET):
//   /api/v3/repos/{o}/{r}/pulls/{n}                     takes one unknown mergeable read
//   /api/v3/repos/{o}/{r}/pulls/{n}/reviews             per_page (default 30, max 100), page
//   /api/v3/repos/{o}/{r}/pulls/{n}/comments            review (line) comments; per_page, page
//   /api/v3/repos/{o}/{r}/commits/{sha}/check-runs      per_page, page, check_name
//   /api/v3/repos/{o}/{r}/commits/{sha}/status          all statuses at once
//   /api/v3/repos/{o}/{r}/commits/{sha}/statuses        per_page, page
//   /api/v3/search/issues?q=...                         search.hpp; per_page (max 100), page,
//                                                       sort, order. Only the first 1,000 results
//                                                       are reachable: a page that starts past
//                                                       them is 422 {"message": "Only the first
//                                                       1000 search results are available"}; a
//                                                       missing q is 422 "Validation Failed".
//                                                       Rate limited by the `search` resource.
// The routes that change state (POST/PUT/PATCH/DELETE) are in write_routes.hpp.
// Paginated answers carry GitHub's `Link` header (rel="prev", "next", "last", "first", the ones
// that apply; none when everything fits one page). An unknown repository, pull request or route
// is 404 {"message":"Not Found",...}; an unknown commit of a known repository is 422
// {"message":"No commit found for SHA: ..."} as on GitHub. Commits are looked up by full sha
// (branch names are not resolved).
#pragma once

#include <string_view>

#include "fake_http.hpp"
#include "fake_store.hpp"
#include "rest_util.hpp"

namespace gkfake::detail {

// `origin` is "http://127.0.0.1:PORT". The answer has no ETag and no rate-limit headers yet.
HttpResponse route_rest(Store &store, const HttpRequest &request, std::string_view origin);

// GET /api/v3/search/issues (search_routes.cpp).
HttpResponse search_issues_route(const Store &store, const std::vector<QueryParam> &params,
                                 std::string_view origin, std::string_view path);

}  // namespace gkfake::detail
