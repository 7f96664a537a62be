#include "rest_routes.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "payloads.hpp"

namespace gkfake::detail {
namespace json = boost::json;

namespace {

constexpr std::string_view kApiPrefix = "/api/v3";

struct QueryParam {
  std::string raw;  // "key=value" as sent
  std::string key;
  std::string value;  // decoded
};

std::vector<QueryParam> parse_query(std::string_view query) {
  std::vector<QueryParam> params;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    if (!part.empty()) {
      const auto eq = part.find('=');
      params.push_back({std::string(part), url_decode(part.substr(0, eq)),
                        eq == std::string_view::npos ? "" : url_decode(part.substr(eq + 1))});
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return params;
}

std::optional<std::string> param(const std::vector<QueryParam> &params, std::string_view key) {
  for (const auto &p : params) {
    if (p.key == key) return p.value;
  }
  return std::nullopt;
}

int int_param(const std::vector<QueryParam> &params, std::string_view key, int fallback) {
  const auto v = param(params, key);
  if (!v) return fallback;
  int out = 0;
  const auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  return ec == std::errc() && ptr == v->data() + v->size() ? out : fallback;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> segments;
  while (!path.empty()) {
    const auto slash = path.find('/');
    if (slash != 0) segments.push_back(url_decode(path.substr(0, slash)));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

std::optional<int> pull_number(const std::string &s) {
  int n = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || ptr != s.data() + s.size() || n <= 0) return std::nullopt;
  return n;
}

HttpResponse json_response(unsigned status, const json::value &body) {
  HttpResponse r;
  r.status = status;
  r.body = json::serialize(body);
  r.set("Content-Type", "application/json; charset=utf-8");
  return r;
}

HttpResponse not_found() {
  HttpResponse r;
  r.status = 404;
  r.body = github_error("Not Found");
  r.set("Content-Type", "application/json; charset=utf-8");
  return r;
}

// One page of `total` items: [first, last) and the Link header.
struct Page {
  std::size_t first = 0;
  std::size_t last = 0;
  std::string link;
};

Page paginate(std::size_t total, const std::vector<QueryParam> &params, std::string_view origin,
              std::string_view path) {
  const int per_page = std::clamp(int_param(params, "per_page", 30), 1, 100);
  const int page = std::max(1, int_param(params, "page", 1));
  const std::size_t pages = std::max<std::size_t>(1, (total + per_page - 1) / per_page);
  Page out;
  out.first = std::min(total, static_cast<std::size_t>(page - 1) * per_page);
  out.last = std::min(total, out.first + per_page);
  auto url = [&](std::size_t n) {
    std::string u = std::string(origin) + std::string(path) + "?";
    for (const auto &p : params) {
      if (p.key != "page") u += p.raw + "&";
    }
    return u + "page=" + std::to_string(n);
  };
  std::vector<std::string> links;
  if (page > 1)
    links.push_back("<" + url(std::min<std::size_t>(page - 1, pages)) + ">; rel=\"prev\"");
  if (static_cast<std::size_t>(page) < pages) {
    links.push_back("<" + url(page + 1) + ">; rel=\"next\"");
    links.push_back("<" + url(pages) + ">; rel=\"last\"");
  }
  if (page > 1) links.push_back("<" + url(1) + ">; rel=\"first\"");
  for (std::size_t i = 0; i < links.size(); ++i) out.link += (i ? ", " : "") + links[i];
  return out;
}

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

}  // namespace

std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      const auto [ptr, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && ptr == s.data() + i + 3) {
        out += static_cast<char>(v);
        i += 2;
      } else {
        out += s[i];
      }
    } else {
      out += s[i];
    }
  }
  return out;
}

HttpResponse route_rest(const Store &store, const HttpRequest &request, std::string_view origin) {
  const std::string_view path = target_path(request.target);
  if (request.method != "GET" || !path.starts_with(kApiPrefix)) return not_found();
  const auto seg = split_path(path.substr(kApiPrefix.size()));
  if (seg.size() < 5 || seg[0] != "repos") return not_found();
  const RepoRef repo{seg[1], seg[2], std::string(origin) + std::string(kApiPrefix)};
  const auto params = parse_query(target_query(request.target));

  if (seg[3] == "pulls" && (seg.size() == 5 || (seg.size() == 6 && seg[5] == "reviews"))) {
    const auto number = pull_number(seg[4]);
    const PullState *state = number ? store.pull(repo.full(), *number) : nullptr;
    if (!state) return not_found();
    if (seg.size() == 5) return json_response(200, pull_payload(repo, *number, *state));
    return reviews(repo, *number, *state, params, origin, path);
  }
  if (seg[3] == "commits" && seg.size() == 6 && (seg[5] == "check-runs" || seg[5] == "status")) {
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
    return json_response(200, combined_status_payload(repo, seg[4], state->statuses));
  }
  return not_found();
}

}  // namespace gkfake::detail
