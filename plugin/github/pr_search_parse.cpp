#include "github/pr_search_parse.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>

#include "github/pr_search_query.hpp"

namespace gk::github::pr_search {

namespace json = boost::json;

namespace {

// Selects exactly what FoundPull holds; __typename tells pull requests from issues, whose nodes
// are empty objects (the fragment does not apply to them).
constexpr const char *kSearchQuery =
    "query($q: String!, $cursor: String) { "
    "search(query: $q, type: ISSUE, first: 100, after: $cursor) { "
    "issueCount pageInfo { hasNextPage endCursor } "
    "nodes { __typename ... on PullRequest { number title url state isDraft headRefOid createdAt "
    "updatedAt author { login } repository { nameWithOwner } labels(first: 100) { nodes { name } "
    "} } } } "
    "rateLimit { remaining resetAt } }";

constexpr size_t kMaxMessage = 300;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string str(const json::object &o, const char *key) {
  const auto *v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

const json::object *obj(const json::object &o, const char *key) {
  const auto *v = o.if_contains(key);
  return v && v->is_object() ? &v->as_object() : nullptr;
}

const json::array *arr(const json::object &o, const char *key) {
  const auto *v = o.if_contains(key);
  return v && v->is_array() ? &v->as_array() : nullptr;
}

std::optional<int64_t> integer(const json::object &o, const char *key) {
  const auto *v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  return std::nullopt;
}

bool boolean(const json::object &o, const char *key) {
  const auto *v = o.if_contains(key);
  return v && v->is_bool() && v->as_bool();
}

// label names of {"nodes": [{"name"}]} (GraphQL) or [{"name"}] (REST).
std::vector<std::string> label_names(const json::array *list) {
  std::vector<std::string> out;
  if (!list) return out;
  for (const auto &l : *list)
    if (l.is_object())
      if (std::string name = str(l.as_object(), "name"); !name.empty()) out.push_back(name);
  return out;
}

std::string shortened(std::string s) {
  if (s.size() > kMaxMessage) s = s.substr(0, kMaxMessage) + "...";
  return s;
}

std::optional<FoundPull> graphql_pull(const json::value &v) {
  if (!v.is_object()) return std::nullopt;  // null: a node the token may not see
  const auto &n = v.as_object();
  if (n.contains("__typename") && str(n, "__typename") != "PullRequest") return std::nullopt;
  FoundPull p;
  p.number = integer(n, "number").value_or(0);
  if (const auto *repo = obj(n, "repository")) p.repo = str(*repo, "nameWithOwner");
  if (p.number <= 0 || p.repo.empty()) return std::nullopt;
  p.title = str(n, "title");
  p.url = str(n, "url");
  p.state = lower(str(n, "state"));  // OPEN | CLOSED | MERGED
  p.draft = boolean(n, "isDraft");
  p.head_sha = str(n, "headRefOid");
  p.created_at = str(n, "createdAt");
  p.updated_at = str(n, "updatedAt");
  if (const auto *a = obj(n, "author")) p.author = str(*a, "login");  // null: a deleted user
  if (const auto *labels = obj(n, "labels")) p.labels = label_names(arr(*labels, "nodes"));
  return p;
}

// "owner/name" from ".../repos/owner/name", else from "https://github.com/owner/name/pull/N".
std::string repo_of(const json::object &item) {
  std::string url = str(item, "repository_url");
  if (auto at = url.rfind("/repos/"); at != std::string::npos) return url.substr(at + 7);
  url = str(item, "html_url");
  auto pull = url.rfind("/pull/");
  auto host = url.find("://");
  if (pull == std::string::npos || host == std::string::npos) return {};
  auto path = url.find('/', host + 3);
  return path == std::string::npos || path >= pull ? std::string()
                                                   : url.substr(path + 1, pull - path - 1);
}

std::optional<FoundPull> rest_pull(const json::value &v) {
  if (!v.is_object()) return std::nullopt;
  const auto &item = v.as_object();
  const auto *pr = obj(item, "pull_request");
  if (!pr) return std::nullopt;  // an issue
  FoundPull p;
  p.number = integer(item, "number").value_or(0);
  p.repo = repo_of(item);
  if (p.number <= 0 || p.repo.empty()) return std::nullopt;
  p.title = str(item, "title");
  p.url = str(item, "html_url");
  const auto *merged = pr->if_contains("merged_at");
  p.state = merged && merged->is_string() ? "merged" : lower(str(item, "state"));
  p.draft = boolean(item, "draft");
  p.created_at = str(item, "created_at");
  p.updated_at = str(item, "updated_at");
  if (const auto *u = obj(item, "user")) p.author = str(*u, "login");
  p.labels = label_names(arr(item, "labels"));
  return p;
}

// The errors' messages, "; "-joined.
std::string messages(const json::array &errors) {
  std::string out;
  for (const auto &e : errors) {
    if (!e.is_object()) continue;
    std::string m = str(e.as_object(), "message");
    if (m.empty()) continue;
    if (!out.empty()) out += "; ";
    out += m;
  }
  return shortened(out);
}

// An error about the search itself (its path starts at `search`, or it speaks of the query)
// rather than about the endpoint or the document.
bool about_search(const json::array &errors) {
  for (const auto &e : errors) {
    if (!e.is_object()) continue;
    const auto &o = e.as_object();
    if (const auto *path = arr(o, "path"); path && !path->empty() && path->front().is_string() &&
                                           path->front().as_string() == "search")
      return true;
    std::string m = lower(str(o, "message"));
    if (m.find("search") != std::string::npos || m.find("query") != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::string graphql_request_body(const std::string &query, const std::string &cursor) {
  json::object vars{{"q", query}};
  vars["cursor"] = cursor.empty() ? json::value(nullptr) : json::value(cursor);
  return json::serialize(json::object{{"query", kSearchQuery}, {"variables", std::move(vars)}});
}

GraphqlAnswer parse_graphql(std::string_view body) {
  GraphqlAnswer out;
  boost::system::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) {
    out.message = ec ? "GitHub's GraphQL answer is not valid JSON (" + ec.message() + ")"
                     : "GitHub's GraphQL answer is not a JSON object";
    return out;
  }
  const auto &root = doc.as_object();
  const json::array *errors = arr(root, "errors");
  if (errors)
    for (const auto &e : *errors)
      if (e.is_object() && str(e.as_object(), "type") == "RATE_LIMITED") {
        out.kind = GraphqlAnswer::Kind::rate_limited;
        out.message = messages(*errors);
        return out;
      }
  const json::object *data = obj(root, "data");
  const json::object *search = data ? obj(*data, "search") : nullptr;
  if (!search) {
    if (errors) {
      // Without "data" the document itself was not run (the checker's rule: use REST); with
      // "data" null or "search" null, GitHub ran it and refused the search.
      bool ran = root.contains("data");
      out.kind = ran && about_search(*errors) ? GraphqlAnswer::Kind::refused
                                              : GraphqlAnswer::Kind::unavailable;
      out.message = messages(*errors);
      return out;
    }
    out.message = "GitHub's GraphQL answer has no search result and no errors";
    return out;
  }
  Page &page = out.page;
  auto total = integer(*search, "issueCount");
  const json::array *nodes = arr(*search, "nodes");
  if (!total || !nodes) {
    out.message = "GitHub's GraphQL search answer has no issueCount or nodes";
    return out;
  }
  page.total = *total;
  if (const auto *info = obj(*search, "pageInfo")) {
    page.cursor = str(*info, "endCursor");
    page.has_next = boolean(*info, "hasNextPage") && !page.cursor.empty();
  }
  for (const auto &n : *nodes)
    if (auto p = graphql_pull(n)) page.pulls.push_back(std::move(*p));
  if (const auto *rate = data ? obj(*data, "rateLimit") : nullptr) {
    page.rate_remaining = integer(*rate, "remaining");
    page.rate_reset_at = str(*rate, "resetAt");
  }
  out.kind = GraphqlAnswer::Kind::ok;
  return out;
}

std::string rest_url(const std::string &api, const std::string &query, int page) {
  return api + "/search/issues?q=" + url_encode(query) + "&per_page=" + std::to_string(kPageSize) +
         "&page=" + std::to_string(page);
}

RestAnswer parse_rest(std::string_view body, int page_number) {
  RestAnswer out;
  boost::system::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) {
    out.malformed = ec ? "GitHub's search answer is not valid JSON (" + ec.message() + ")"
                       : "GitHub's search answer is not a JSON object";
    return out;
  }
  const auto &root = doc.as_object();
  auto total = integer(root, "total_count");
  const json::array *items = arr(root, "items");
  if (!total || !items) {
    out.malformed = "GitHub's search answer has no total_count or items";
    return out;
  }
  Page &page = out.page;
  page.total = *total;
  page.incomplete_results = boolean(root, "incomplete_results");
  for (const auto &v : *items)
    if (auto p = rest_pull(v)) page.pulls.push_back(std::move(*p));
  // A short page is the last; past the cap GitHub answers 422, so never ask.
  int64_t reachable = std::min(page.total, kResultCap);
  page.has_next = static_cast<int64_t>(items->size()) >= kPageSize &&
                  static_cast<int64_t>(page_number) * kPageSize < reachable;
  return out;
}

std::string refusal_message(std::string_view body) {
  boost::system::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) return {};
  const auto &root = doc.as_object();
  std::string out = str(root, "message");
  if (const auto *errors = arr(root, "errors"))
    if (std::string detail = messages(*errors); !detail.empty())
      out += (out.empty() ? "" : ": ") + detail;
  return shortened(out);
}

}  // namespace gk::github::pr_search
