#include "github/graphql.hpp"

#include <algorithm>
#include <cctype>

namespace gk::github::graphql {

namespace json = boost::json;

namespace {

std::string alias(size_t k) {
  return "pr" + std::to_string(k);
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
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

// Quoted GraphQL string literal (names are validated, but quote anyway).
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

void read_pull(const json::object &pr, PullAnswer &out) {
  out.kind = PullAnswer::Kind::ok;
  out.head_sha = str(pr, "headRefOid");
  if (const auto *d = pr.if_contains("reviewDecision"); d && d->is_string())
    out.review_decision = std::string(d->as_string());
  out.ci.head_sha = out.head_sha;
  if (const auto *commits = obj(pr, "commits")) {
    if (const auto *nodes = arr(*commits, "nodes"); nodes && !nodes->empty()) {
      const auto &last = nodes->back();
      const json::object *commit = last.is_object() ? obj(last.as_object(), "commit") : nullptr;
      const json::object *rollup = commit ? obj(*commit, "statusCheckRollup") : nullptr;
      if (commit && out.head_sha.empty()) out.ci.head_sha = out.head_sha = str(*commit, "oid");
      const json::object *contexts = rollup ? obj(*rollup, "contexts") : nullptr;
      if (contexts) {
        if (const auto *info = obj(*contexts, "pageInfo")) {
          const auto *more = info->if_contains("hasNextPage");
          out.has_next_page = more && more->is_bool() && more->as_bool();
          out.end_cursor = str(*info, "endCursor");
        }
        if (const auto *nodes2 = arr(*contexts, "nodes")) {
          for (const auto &n : *nodes2) {
            if (!n.is_object()) continue;
            const auto &node = n.as_object();
            std::string type = str(node, "__typename");
            if (type == "CheckRun") {
              CheckRunInfo r;
              r.name = str(node, "name");
              r.status = lower(str(node, "status"));
              r.conclusion = lower(str(node, "conclusion"));
              r.url = str(node, "detailsUrl");
              if (const auto *id = node.if_contains("databaseId"); id && id->is_int64())
                r.id = id->as_int64();
              r.started_at = str(node, "startedAt");
              r.title = str(node, "title");
              r.summary = str(node, "summary");
              out.ci.runs.push_back(std::move(r));
            } else if (type == "StatusContext") {
              out.ci.statuses.push_back({str(node, "context"), lower(str(node, "state")),
                                         str(node, "targetUrl"), str(node, "description")});
            }
          }
        }
      }
    }
  }
  if (const auto *reviews = obj(pr, "latestReviews")) {
    std::vector<ReviewInfo> list;
    if (const auto *nodes = arr(*reviews, "nodes")) {
      for (const auto &n : *nodes) {
        if (!n.is_object()) continue;
        const auto &node = n.as_object();
        ReviewInfo r;
        if (const auto *a = obj(node, "author")) r.user = str(*a, "login");
        r.state = str(node, "state");
        r.body = str(node, "body");
        r.url = str(node, "url");
        r.submitted_at = str(node, "submittedAt");
        list.push_back(std::move(r));
      }
    }
    out.latest_reviews = std::move(list);
  }
}

}  // namespace

std::string request_body(const std::vector<PullAsk> &asks) {
  std::string q = "query {";
  for (size_t k = 0; k < asks.size(); ++k) {
    const PullAsk &a = asks[k];
    std::string contexts = "contexts(first: " + std::to_string(kContextsPerPage);
    if (!a.after.empty()) contexts += ", after: " + quoted(a.after);
    contexts += ")";
    q += " " + alias(k) + ": repository(owner: " + quoted(a.owner) + ", name: " + quoted(a.name) +
         ") { pullRequest(number: " + std::to_string(a.number) +
         ") { headRefOid reviewDecision commits(last: 1) { nodes { commit { oid "
         "statusCheckRollup { state " +
         contexts +
         " { pageInfo { hasNextPage endCursor } nodes { __typename ... on CheckRun { name status "
         "conclusion detailsUrl title summary } ... on StatusContext { context state targetUrl "
         "description } } } } } } }";
    if (a.reviews) q += " latestReviews(last: 100) { nodes { author { login } state body url } }";
    q += " } }";
  }
  q += " }";
  return json::serialize(json::object{{"query", q}});
}

BatchAnswer parse_answer(std::string_view body, size_t asks) {
  BatchAnswer out;
  boost::system::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec) {
    out.malformed = "GitHub's GraphQL answer is not valid JSON (" + ec.message() + ")";
    return out;
  }
  if (!doc.is_object()) {
    out.malformed = "GitHub's GraphQL answer is not a JSON object";
    return out;
  }
  const auto &root = doc.as_object();
  if (const auto *errs = arr(root, "errors"))
    for (const auto &e : *errs)
      if (e.is_object() && str(e.as_object(), "type") == "RATE_LIMITED") {
        out.rate_limited = true;
        return out;
      }
  const json::object *data = obj(root, "data");
  if (!data) {
    if (arr(root, "errors")) {
      out.unavailable = true;
      return out;
    }
    out.malformed = "GitHub's GraphQL answer has neither data nor errors";
    return out;
  }
  // Errors by alias: NOT_FOUND means the repository or pull request is not there (or hidden).
  std::vector<std::pair<std::string, json::object>> errors;
  if (const auto *errs = arr(root, "errors"))
    for (const auto &e : *errs) {
      if (!e.is_object()) continue;
      const auto *path = arr(e.as_object(), "path");
      if (path && !path->empty() && path->front().is_string())
        errors.emplace_back(std::string(path->front().as_string()), e.as_object());
    }
  out.pulls.resize(asks);
  for (size_t k = 0; k < asks; ++k) {
    PullAnswer &p = out.pulls[k];
    std::string name = alias(k);
    const auto *repo = data->if_contains(name);
    const json::object *pr =
        repo && repo->is_object() ? obj(repo->as_object(), "pullRequest") : nullptr;
    if (pr) {
      read_pull(*pr, p);
      continue;
    }
    p.kind = PullAnswer::Kind::error;
    p.message = "GitHub's GraphQL answer has no pull request for this gate";
    for (const auto &[path, e] : errors) {
      if (path != name) continue;
      p.message = str(e, "message");
      if (str(e, "type") == "NOT_FOUND") p.kind = PullAnswer::Kind::not_found;
      break;
    }
  }
  return out;
}

}  // namespace gk::github::graphql
