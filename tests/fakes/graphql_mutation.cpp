// GraphQL mutations: `ALIAS: mergePullRequest(input: {pullRequestId:, expectedHeadOid:,
// mergeMethod:, commitHeadline:})`, decided by merge.hpp like the REST merge, answered with one
// fixed, complete shape (graphql.hpp). Refusals come back as GitHub sends them: HTTP 200,
// "data": {"ALIAS": null} and an error naming the path.
#include "graphql_scanner.hpp"
#include "merge.hpp"

namespace gkfake::detail::graphql {

namespace {

json::object error_at(const Scanner &s, std::size_t at, const std::string &alias,
                      std::string_view type, const std::string &message) {
  json::object e{{"path", json::array{json::value(alias)}},
                 {"locations", json::array{s.location(at)}},
                 {"message", message}};
  if (!type.empty()) e["type"] = type;
  return e;
}

std::string field_string(const json::object &o, std::string_view key) {
  const json::value *v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : "";
}

}  // namespace

HttpResponse answer_mutation(Store &store, Scanner &s) {
  json::object data;
  json::array errors;
  const std::size_t n = s.text().size();
  s.pos = 0;
  bool any = false;
  for (std::size_t at = s.find_call("mergePullRequest", n); at != std::string_view::npos;
       at = s.find_call("mergePullRequest", n)) {
    any = true;
    std::string alias = s.alias_before(at);
    if (alias.empty()) alias = "mergePullRequest";
    s.pos = at + std::string_view("mergePullRequest").size();
    std::map<std::string, json::value> args;
    const bool ok = s.arguments(args);
    const json::value *input = ok && args.count("input") ? &args["input"] : nullptr;
    if (!input || !input->is_object()) {
      data[alias] = nullptr;
      errors.push_back(error_at(s, at, alias, "",
                                "Argument 'input' on Field 'mergePullRequest' is missing or "
                                "not an input object of type 'MergePullRequestInput!'."));
      continue;
    }
    const json::object &in = input->as_object();
    const std::string id = field_string(in, "pullRequestId");
    std::string method = field_string(in, "mergeMethod");
    if (method.empty()) method = "MERGE";
    if (method != "MERGE" && method != "SQUASH" && method != "REBASE") {
      data[alias] = nullptr;
      errors.push_back(error_at(s, at, alias, "",
                                "Argument 'mergeMethod' on InputObject 'MergePullRequestInput' "
                                "has an invalid value (" +
                                    method + "). Expected type 'PullRequestMergeMethod'."));
      continue;
    }
    std::string repo;
    int number = 0;
    if (!store.find_node(id, repo, number)) {
      data[alias] = nullptr;
      errors.push_back(error_at(s, at, alias, "NOT_FOUND",
                                "Could not resolve to a node with the global id of '" + id + "'."));
      continue;
    }
    MergeRequest request;
    request.sha = field_string(in, "expectedHeadOid");
    request.commit_title = field_string(in, "commitHeadline");
    request.method = to_lower(method);
    const Outcome outcome = merge_pull(store, repo, number, request);
    if (outcome.status != 200) {
      data[alias] = nullptr;
      errors.push_back(error_at(s, at, alias, "UNPROCESSABLE", outcome.message));
      continue;
    }
    const PullState &pr = *store.pull(repo, number);
    data[alias] = {{"clientMutationId", string_or_null(field_string(in, "clientMutationId"))},
                   {"pullRequest",
                    {{"id", id},
                     {"number", number},
                     {"state", "MERGED"},
                     {"merged", true},
                     {"mergedAt", pr.merged_at},
                     {"headRefOid", pr.head_sha},
                     {"mergeCommit", {{"oid", outcome.sha}}}}}};
  }
  if (!any) {
    return json_response(
        200, json::object{{"errors", json::array{{{"message",
                                                   "gk fake: the only mutation understood is "
                                                   "mergePullRequest(input: {...})"}}}}});
  }
  json::object out{{"data", std::move(data)}};
  if (!errors.empty()) out["errors"] = std::move(errors);
  return json_response(200, out);
}

}  // namespace gkfake::detail::graphql
