#include "graphql.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "graphql_scanner.hpp"
#include "merge.hpp"
#include "timestamps.hpp"

namespace gkfake::detail {
namespace json = boost::json;
using namespace graphql;

namespace {

struct Ask {
  std::string alias;
  std::string owner;
  std::string name;
  int64_t number = 0;
  std::size_t at = 0;
  std::size_t first = 100;
  std::size_t after = 0;
  bool latest_reviews = false;
};

std::string rollup_state(const PullState &pr) {
  static const std::string_view failing[] = {"failure",         "timed_out",       "cancelled",
                                             "action_required", "startup_failure", "stale"};
  bool error = false;
  bool pending = false;
  for (const auto &c : pr.checks) {
    if (c.status != "completed") {
      pending = true;
    } else if (std::find(std::begin(failing), std::end(failing), c.conclusion) !=
               std::end(failing)) {
      return "FAILURE";
    }
  }
  for (const auto &s : pr.statuses) {
    if (s.state == "failure") return "FAILURE";
    if (s.state == "error") error = true;
    if (s.state == "pending") pending = true;
  }
  return error ? "ERROR" : pending ? "PENDING" : "SUCCESS";
}

json::value rollup(const Ask &ask, const PullState &pr) {
  const std::size_t total = pr.checks.size() + pr.statuses.size();
  if (total == 0) return nullptr;
  const std::size_t begin = std::min(ask.after, total);
  const std::size_t end = std::min(total, begin + ask.first);
  json::array nodes;
  for (std::size_t i = begin; i < end; ++i) {
    if (i < pr.checks.size()) {
      const CheckRun &c = pr.checks[i];
      nodes.push_back({{"__typename", "CheckRun"},
                       {"name", c.name},
                       {"status", upper(c.status)},
                       {"conclusion", upper_or_null(c.conclusion)},
                       {"title", string_or_null(c.title)},
                       {"summary", string_or_null(c.summary)},
                       {"detailsUrl",
                        c.details_url.empty()
                            ? "https://ci.example.com/" + ask.owner + "/" + ask.name + "/" + c.name
                            : c.details_url}});
    } else {
      const StatusContext &s = pr.statuses[i - pr.checks.size()];
      nodes.push_back({{"__typename", "StatusContext"},
                       {"context", s.context},
                       {"state", upper(s.state)},
                       {"targetUrl", string_or_null(s.target_url)}});
    }
  }
  json::object page_info{
      {"hasNextPage", end < total},
      {"endCursor", end > begin ? json::value(encode_cursor(end)) : json::value(nullptr)}};
  return {
      {"state", rollup_state(pr)},
      {"contexts",
       {{"totalCount", total}, {"pageInfo", std::move(page_info)}, {"nodes", std::move(nodes)}}}};
}

json::object latest_reviews(const PullState &pr) {
  // The latest review per author that is not pending, in the order of those latest reviews.
  std::vector<const Review *> latest;
  for (const auto &r : pr.reviews) {
    if (r.state == "PENDING") continue;
    auto same = std::find_if(latest.begin(), latest.end(),
                             [&](const Review *l) { return l->user == r.user; });
    if (same != latest.end()) latest.erase(same);
    latest.push_back(&r);
  }
  json::array nodes;
  for (const Review *r : latest) {
    const auto index = static_cast<int64_t>(r - pr.reviews.data());
    nodes.push_back({{"author", {{"login", r->user}}},
                     {"state", r->state},
                     {"body", r->body},
                     {"submittedAt", iso8601(1704067200 + 60 * index)}});
  }
  return {{"nodes", std::move(nodes)}};
}

json::object pull_request(const Ask &ask, const PullState &pr, const Mergeability &m) {
  const std::string repo = ask.owner + "/" + ask.name;
  json::array labels;
  for (const auto &l : pr.labels) labels.push_back(json::object{{"name", l}});
  json::object out{
      {"id", FakeGitHub::pull_node_id(repo, static_cast<int>(ask.number))},
      {"number", ask.number},
      {"title", pr.title},
      {"url", "https://github.com/" + repo + "/pull/" + std::to_string(ask.number)},
      {"state", pr.merged ? "MERGED" : upper(pr.state)},
      {"isDraft", pr.draft},
      {"merged", pr.merged},
      {"mergeable", !m.known      ? "UNKNOWN"
                    : m.mergeable ? "MERGEABLE"
                                  : "CONFLICTING"},
      {"mergeStateStatus", m.known ? upper(m.state) : "UNKNOWN"},
      {"baseRefName", pr.base_ref},
      {"headRefName", pr.head_ref},
      {"createdAt", pr.created_at},
      {"updatedAt", pr.updated_at},
      {"author", {{"login", pr.author}}},
      {"labels", {{"nodes", std::move(labels)}}},
      {"headRefOid", pr.head_sha},
      {"reviewDecision", string_or_null(pr.review_decision)},
      {"commits",
       {{"nodes",
         json::array{
             {{"commit", {{"oid", pr.head_sha}, {"statusCheckRollup", rollup(ask, pr)}}}}}}}}};
  if (ask.latest_reviews) out["latestReviews"] = latest_reviews(pr);
  return out;
}

std::vector<Ask> scan(Scanner &s) {
  std::vector<Ask> asks;
  const std::size_t n = s.text().size();
  std::size_t at = s.find_call("repository", n);
  while (at != std::string_view::npos) {
    Ask ask;
    ask.at = at;
    ask.alias = s.alias_before(at);
    if (ask.alias.empty()) ask.alias = "repository";
    s.pos = at + std::string_view("repository").size();
    std::map<std::string, json::value> args;
    const bool args_ok = s.arguments(args);
    const std::size_t body = s.pos;
    const std::size_t next = s.find_call("repository", n);
    const std::size_t end = next == std::string_view::npos ? n : next;
    const auto string_arg = [&](const char *key) -> std::string {
      const auto it = args.find(key);
      return it != args.end() && it->second.is_string() ? std::string(it->second.as_string()) : "";
    };
    ask.owner = string_arg("owner");
    ask.name = string_arg("name");
    s.pos = body;
    const std::size_t pr = s.find_call("pullRequest", end);
    if (args_ok && pr != std::string_view::npos) {
      s.pos = pr + std::string_view("pullRequest").size();
      std::map<std::string, json::value> pr_args;
      if (s.arguments(pr_args) && pr_args.count("number")) {
        const json::value &v = pr_args["number"];
        if (v.is_int64()) ask.number = v.as_int64();
        if (v.is_string()) ask.number = std::atoll(v.as_string().c_str());
      }
      const std::size_t contexts = s.find_call("contexts", end);
      if (contexts != std::string_view::npos) {
        s.pos = contexts + std::string_view("contexts").size();
        std::map<std::string, json::value> c_args;
        if (s.arguments(c_args)) {
          if (c_args.count("first") && c_args["first"].is_int64()) {
            ask.first =
                static_cast<std::size_t>(std::clamp<int64_t>(c_args["first"].as_int64(), 1, 100));
          }
          if (c_args.count("after") && c_args["after"].is_string()) {
            ask.after = decode_cursor(std::string(c_args["after"].as_string()));
          }
        }
      }
      const std::string_view span = s.text().substr(body, end - body);
      ask.latest_reviews = contains_word(span, "latestReviews");
      asks.push_back(ask);
    }
    s.pos = end;
    at = next;
  }
  return asks;
}

}  // namespace

HttpResponse answer_graphql(Store &store, const HttpRequest &request,
                            const GraphqlRateLimit &rate) {
  json::value body;
  boost::system::error_code ec;
  body = json::parse(request.body, ec);
  if (ec || !body.is_object()) {
    return json_response(
        400, json::parse(github_error("Problems parsing JSON", "https://docs.github.com/graphql")));
  }
  const auto *query = body.as_object().if_contains("query");
  if (!query || !query->is_string()) {
    return json_response(
        200, json::object{{"errors", json::array{{{"message",
                                                   "A query attribute must be "
                                                   "specified and must be a string."}}}}});
  }
  static const json::object no_variables;
  const auto *vars = body.as_object().if_contains("variables");
  Scanner scanner(query->as_string(), vars && vars->is_object() ? vars->as_object() : no_variables);
  if (operation_type(query->as_string()) == "mutation") return answer_mutation(store, scanner);
  const std::vector<Ask> asks = scan(scanner);
  const std::vector<Field> searches = answer_searches(store, scanner);
  const bool want_rate = contains_word(query->as_string(), "rateLimit");
  if (asks.empty() && searches.empty() && !want_rate) {
    return json_response(
        200,
        json::object{{"errors", json::array{{{"message",
                                              "gk fake: no `ALIAS: repository(owner:, name:) { "
                                              "pullRequest(number:) ... }` and no `search(query:, "
                                              "type: ISSUE, ...)` in the query"}}}}});
  }
  json::object data;
  json::array errors;
  for (const Ask &ask : asks) {
    const std::string repo = ask.owner + "/" + ask.name;
    if (!store.has_repo(repo)) {
      data[ask.alias] = nullptr;
      errors.push_back(
          {{"type", "NOT_FOUND"},
           {"path", json::array{json::value(ask.alias)}},
           {"locations", json::array{scanner.location(ask.at)}},
           {"message", "Could not resolve to a Repository with the name '" + repo + "'."}});
      continue;
    }
    const PullState *pr = store.pull(repo, static_cast<int>(ask.number));
    if (!pr) {
      data[ask.alias] = {{"pullRequest", nullptr}};
      errors.push_back({{"type", "NOT_FOUND"},
                        {"path", json::array{json::value(ask.alias), json::value("pullRequest")}},
                        {"locations", json::array{scanner.location(ask.at)}},
                        {"message", "Could not resolve to a PullRequest with the number of " +
                                        std::to_string(ask.number) + "."}});
      continue;
    }
    const Mergeability m = read_mergeability(store, repo, static_cast<int>(ask.number));
    data[ask.alias] = {{"pullRequest", pull_request(ask, *pr, m)}};
  }
  for (const Field &f : searches) {
    data[f.alias] = f.value;
    if (f.error) errors.push_back(*f.error);
  }
  if (want_rate) {
    data["rateLimit"] = {{"limit", rate.limit},
                         {"cost", 1},
                         {"remaining", rate.remaining},
                         {"used", rate.limit - rate.remaining},
                         {"resetAt", iso8601(rate.reset_epoch_s)}};
  }
  json::object out{{"data", std::move(data)}};
  if (!errors.empty()) out["errors"] = std::move(errors);
  return json_response(200, out);
}

}  // namespace gkfake::detail
