#include "write_routes.hpp"

#include <boost/json.hpp>

#include "merge.hpp"
#include "payloads.hpp"
#include "rest_util.hpp"
#include "timestamps.hpp"

namespace gkfake::detail {
namespace json = boost::json;

namespace {

constexpr std::string_view kMergeDocs =
    "https://docs.github.com/rest/pulls/pulls#merge-a-pull-request";
constexpr std::string_view kUpdateDocs =
    "https://docs.github.com/rest/pulls/pulls#update-a-pull-request-branch";
constexpr std::string_view kRefsDocs = "https://docs.github.com/rest/git/refs#delete-a-reference";
constexpr std::string_view kStatusDocs =
    "https://docs.github.com/rest/commits/statuses#create-a-commit-status";

// The body as an object: an empty body is {}; nullopt when it is not a JSON object.
std::optional<json::object> body_object(const std::string &body) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return json::object{};
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return std::nullopt;
  if (v.is_null()) return json::object{};
  if (!v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

std::string string_field(const json::object &o, std::string_view key) {
  const json::value *v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : "";
}

HttpResponse problems_parsing_json() {
  return error_response(400, "Problems parsing JSON");
}

HttpResponse validation_failed(std::string_view resource, std::string_view field,
                               std::string_view code, std::string_view docs,
                               std::string_view message = "") {
  json::object error{{"resource", resource}, {"field", field}, {"code", code}};
  if (!message.empty()) error["message"] = message;
  return json_response(422, json::object{{"message", "Validation Failed"},
                                         {"errors", json::array{std::move(error)}},
                                         {"documentation_url", docs}});
}

HttpResponse merge(Store &store, const std::string &repo, int number, const json::object &body) {
  MergeRequest request;
  request.sha = string_field(body, "sha");
  request.commit_title = string_field(body, "commit_title");
  if (body.contains("merge_method")) request.method = string_field(body, "merge_method");
  if (request.method != "merge" && request.method != "squash" && request.method != "rebase") {
    return validation_failed("PullRequest", "merge_method", "invalid", kMergeDocs);
  }
  const Outcome outcome = merge_pull(store, repo, number, request);
  if (outcome.status != 200) return error_response(outcome.status, outcome.message, kMergeDocs);
  json::object answer = fixture("merge").as_object();
  answer["sha"] = outcome.sha;
  answer["merged"] = true;
  answer["message"] = outcome.message;
  return json_response(200, answer);
}

HttpResponse update(Store &store, const std::string &repo, int number, const json::object &body) {
  const Outcome outcome =
      update_branch(store, repo, number, string_field(body, "expected_head_sha"));
  if (outcome.status != 202) return error_response(outcome.status, outcome.message, kUpdateDocs);
  json::object answer = fixture("update_branch").as_object();
  answer["message"] = outcome.message;
  // The example's url, for this pull request.
  answer["url"] = "https://github.com/repos/" + repo + "/pulls/" + std::to_string(number);
  return json_response(202, answer);
}

HttpResponse create_status(Store &store, const RepoRef &repo, const std::string &sha,
                           const json::object &body) {
  StatusContext status;
  status.state = string_field(body, "state");
  status.target_url = string_field(body, "target_url");
  status.description = string_field(body, "description");
  status.context = string_field(body, "context");
  if (status.context.empty()) status.context = "default";
  if (!store.commit(repo.full(), sha)) {
    return error_response(422, "No commit found for SHA: " + sha, kStatusDocs);
  }
  if (status.state != "error" && status.state != "failure" && status.state != "pending" &&
      status.state != "success") {
    return validation_failed("Status", "state", "custom", kStatusDocs,
                             "state is not included in the list");
  }
  store.add_status(repo.full(), sha, status);
  // The pull request whose head it is has been updated.
  if (const int number = store.commit_pull_number(repo.full(), sha)) {
    if (const PullState *pr = store.pull(repo.full(), number);
        pr && to_lower(pr->head_sha) == to_lower(sha)) {
      PullState bumped = *pr;
      bumped.updated_at = bumped_time(pr->updated_at);
      store.set(repo.full(), number, bumped);
    }
  }
  const PullState *commit = store.commit(repo.full(), sha);
  std::size_t index = 0;
  while (index + 1 < commit->statuses.size() && commit->statuses[index].context != status.context) {
    ++index;
  }
  return json_response(201, status_payload(repo, sha, status, index));
}

}  // namespace

HttpResponse route_write(Store &store, const HttpRequest &request,
                         const std::vector<std::string> &seg, std::string_view origin) {
  if (seg.size() < 5 || seg[0] != "repos") return not_found();
  const RepoRef repo{seg[1], seg[2], std::string(origin) + "/api/v3"};
  if (!store.has_repo(repo.full())) return not_found();
  const auto body = body_object(request.body);

  if (request.method == "PUT" && seg[3] == "pulls" && seg.size() == 6 &&
      (seg[5] == "merge" || seg[5] == "update-branch")) {
    const auto number = pull_number(seg[4]);
    if (!number || !store.pull(repo.full(), *number)) return not_found();
    if (!body) return problems_parsing_json();
    return seg[5] == "merge" ? merge(store, repo.full(), *number, *body)
                             : update(store, repo.full(), *number, *body);
  }
  if (request.method == "DELETE" && seg[3] == "git" && seg.size() >= 7 && seg[4] == "refs" &&
      seg[5] == "heads") {
    std::string branch = seg[6];
    for (std::size_t i = 7; i < seg.size(); ++i) branch += "/" + seg[i];
    if (!store.delete_branch(repo.full(), branch)) {
      return error_response(422, "Reference does not exist", kRefsDocs);
    }
    HttpResponse r;
    r.status = 204;
    return r;
  }
  if (request.method == "POST" && seg[3] == "statuses" && seg.size() == 5) {
    if (!body) return problems_parsing_json();
    return create_status(store, repo, seg[4], *body);
  }
  return not_found();
}

}  // namespace gkfake::detail
