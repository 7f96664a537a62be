#include "rest_routes.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "payloads.hpp"
#include "write_routes.hpp"

namespace gkfake::detail {
namespace json = boost::json;

namespace {

constexpr std::string_view kApiPrefix = "/api/v3";

HttpResponse check_runs(const RepoRef &repo, const std::string &sha, const PullState &state,
                        int pr_number, const std::vector<QueryParam> &params,
                        std::string_view origin, std::string_view path) {
  const auto name = param(params, "check_name");
  std::vector<const CheckRun *> runs;
  for (const auto &c : state.checks) {
    if (!name || c.name == *name) runs.push_back(&c);
  }
  const Page page = paginate(runs.size(), params, origin, path);
  json::array items;
  for (std::size_t i = page.first; i < page.last; ++i) {
    items.push_back(check_run_payload(repo, sha, *runs[i], pr_number));
  }
  // The example's key order, with its values replaced.
  json::object body = fixture("check_runs").as_object();
  body["total_count"] = runs.size();
  body["check_runs"] = std::move(items);
  HttpResponse r = json_response(200, body);
  if (!page.link.empty()) r.set("Link", page.link);
  return r;
}

HttpResponse reviews(const RepoRef &repo, int number, const PullState &state,
                     const std::vector<QueryParam> &params, std::string_view origin,
                     std::string_view path) {
  const Page page = paginate(state.reviews.size(), params, origin, path);
  json::array items;
  for (std::size_t i = page.first; i < page.last; ++i) {
    items.push_back(review_payload(repo, number, state.head_sha, state.reviews[i], i));
  }
  HttpResponse r = json_response(200, items);
  if (!page.link.empty()) r.set("Link", page.link);
  return r;
}

HttpResponse review_comments(const RepoRef &repo, int number, const PullState &state,
                             const std::vector<QueryParam> &params, std::string_view origin,
                             std::string_view path) {
  const Page page = paginate(state.comments.size(), params, origin, path);
  json::array items;
  for (std::size_t i = page.first; i < page.last; ++i) {
    items.push_back(review_comment_payload(repo, number, state, i));
  }
  HttpResponse r = json_response(200, items);
  if (!page.link.empty()) r.set("Link", page.link);
  return r;
}

HttpResponse statuses(const RepoRef &repo, const std::string &sha, const PullState &state,
                      const std::vector<QueryParam> &params, std::string_view origin,
                      std::string_view path) {
  // Newest first, as GitHub lists them.
  const Page page = paginate(state.statuses.size(), params, origin, path);
  json::array items;
  for (std::size_t i = page.first; i < page.last; ++i) {
    const std::size_t index = state.statuses.size() - 1 - i;
    items.push_back(status_payload(repo, sha, state.statuses[index], index));
  }
  HttpResponse r = json_response(200, items);
  if (!page.link.empty()) r.set("Link", page.link);
  return r;
}

}  // namespace

HttpResponse route_rest(Store &store, const HttpRequest &request, std::string_view origin) {
  const std::string_view path = target_path(request.target);
  if (!path.starts_with(kApiPrefix)) return not_found();
  const auto seg = split_path(path.substr(kApiPrefix.size()));
  if (request.method != "GET") return route_write(store, request, seg, origin);
  const auto params = parse_query(target_query(request.target));
  if (seg.size() == 2 && seg[0] == "search" && seg[1] == "issues") {
    return search_issues_route(store, params, origin, path);
  }
  if (seg.size() < 5 || seg[0] != "repos") return not_found();
  const RepoRef repo{seg[1], seg[2], std::string(origin) + std::string(kApiPrefix)};

  if (seg[3] == "pulls" &&
      (seg.size() == 5 || (seg.size() == 6 && (seg[5] == "reviews" || seg[5] == "comments")))) {
    const auto number = pull_number(seg[4]);
    const PullState *state = number ? store.pull(repo.full(), *number) : nullptr;
    if (!state) return not_found();
    if (seg.size() == 5) {
      const Mergeability m = read_mergeability(store, repo.full(), *number);
      return json_response(200, pull_payload(repo, *number, *store.pull(repo.full(), *number), m));
    }
    if (seg[5] == "comments") return review_comments(repo, *number, *state, params, origin, path);
    return reviews(repo, *number, *state, params, origin, path);
  }
  if (seg[3] == "commits" && seg.size() == 6 &&
      (seg[5] == "check-runs" || seg[5] == "status" || seg[5] == "statuses")) {
    if (!store.has_repo(repo.full())) return not_found();
    const PullState *state = store.commit(repo.full(), seg[4]);
    if (!state) {
      return json_response(
          422, json::parse(github_error("No commit found for SHA: " + seg[4],
                                        "https://docs.github.com/rest/commits/statuses")));
    }
    if (seg[5] == "check-runs") {
      return check_runs(repo, seg[4], *state, store.commit_pull_number(repo.full(), seg[4]), params,
                        origin, path);
    }
    if (seg[5] == "statuses") return statuses(repo, seg[4], *state, params, origin, path);
    return json_response(200, combined_status_payload(repo, seg[4], state->statuses));
  }
  return not_found();
}

}  // namespace gkfake::detail
