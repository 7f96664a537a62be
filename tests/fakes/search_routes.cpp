// GET /api/v3/search/issues: the qualifiers of search.hpp, GitHub's answer shape, its page size
// limit and its 1,000-result cap.
#include <algorithm>

#include "payloads.hpp"
#include "rest_routes.hpp"
#include "search.hpp"

namespace gkfake::detail {
namespace json = boost::json;

namespace {
constexpr std::string_view kSearchDocs = "https://docs.github.com/v3/search/";
}  // namespace

HttpResponse search_issues_route(const Store &store, const std::vector<QueryParam> &params,
                                 std::string_view origin, std::string_view path) {
  const auto q = param(params, "q");
  if (!q || q->empty()) {
    return json_response(
        422,
        json::object{
            {"message", "Validation Failed"},
            {"errors", json::array{{{"resource", "Search"}, {"field", "q"}, {"code", "missing"}}}},
            {"documentation_url", kSearchDocs}});
  }
  const SearchResult found = search_pulls(store, *q, param(params, "sort").value_or(""),
                                          param(params, "order").value_or(""));
  if (!found.error.empty()) {
    return json_response(422, json::object{{"message", "Validation Failed"},
                                           {"errors", json::array{{{"resource", "Search"},
                                                                   {"field", "q"},
                                                                   {"code", "invalid"},
                                                                   {"message", found.error}}}},
                                           {"documentation_url", kSearchDocs}});
  }
  const std::size_t reachable = std::min(found.hits.size(), kSearchCap);
  const Page page = paginate(reachable, params, origin, path);
  if (static_cast<std::size_t>(page.number - 1) * page.per_page >= kSearchCap) {
    return error_response(422, "Only the first 1000 search results are available", kSearchDocs);
  }
  const std::string api_base = std::string(origin) + "/api/v3";
  json::array items;
  for (std::size_t i = page.first; i < page.last; ++i) {
    const Store::Listed &hit = found.hits[i];
    const auto slash = hit.repo.find('/');
    const RepoRef repo{hit.repo.substr(0, slash), hit.repo.substr(slash + 1), api_base};
    items.push_back(search_item_payload(repo, hit.number, *hit.state));
  }
  json::object body = fixture("search_issues").as_object();
  body["total_count"] = found.hits.size();
  body["incomplete_results"] = false;
  body["search_type"] = "lexical";
  body["items"] = std::move(items);
  HttpResponse r = json_response(200, body);
  if (!page.link.empty()) r.set("Link", page.link);
  return r;
}

}  // namespace gkfake::detail
