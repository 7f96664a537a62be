#include "payloads.hpp"

#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "fake_http.hpp"

#ifndef GK_FIXTURES_DIR
#error "GK_FIXTURES_DIR must name tests/fixtures"
#endif

namespace gkfake::detail {
namespace json = boost::json;

namespace {

json::value load_fixture(std::string_view name) {
  const std::string path =
      std::string(GK_FIXTURES_DIR) + "/github/rest/" + std::string(name) + ".json";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("fake github: cannot open fixture " + path);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

// The first element of the example's array (`key` of an object, or the array itself).
json::object example_element(std::string_view name, std::string_view key) {
  const json::value &v = fixture(name);
  const json::array &a = key.empty() ? v.as_array() : v.as_object().at(key).as_array();
  return a.at(0).as_object();
}

json::value string_or_null(const std::string &s) {
  return s.empty() ? json::value(nullptr) : json::value(s);
}

// 2024-01-01T00:00:00Z plus `minutes_after` minutes.
std::string timestamp(int minutes_after) {
  const std::time_t t = 1704067200 + std::time_t{60} * minutes_after;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

const json::value &fixture(std::string_view name) {
  static std::mutex mutex;
  static std::map<std::string, json::value, std::less<>> cache;
  std::lock_guard lock(mutex);
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(std::string(name), load_fixture(name)).first;
  return it->second;
}

json::object user_payload(const json::object &example, const std::string &login,
                          const std::string &api_base) {
  json::object user = example;
  user["login"] = login;
  user["id"] = static_cast<int64_t>(fnv1a(login) & 0xffffffULL) + 1;
  user["node_id"] = "U_" + std::to_string(user["id"].as_int64());
  user["html_url"] = "https://github.com/" + login;
  user["url"] = api_base + "/users/" + login;
  return user;
}

namespace {

// The labels of a pull request, each of the example label's shape.
json::array labels_payload(const json::value &example_labels, const RepoRef &repo,
                           const std::vector<std::string> &names) {
  json::object example;
  if (example_labels.is_array() && !example_labels.as_array().empty()) {
    example = example_labels.as_array().at(0).as_object();
  }
  json::array out;
  for (const auto &name : names) {
    json::object label = example;
    label["name"] = name;
    label["id"] = check_run_id(repo.full(), "label", name);
    label["node_id"] = "LA_" + std::to_string(label["id"].as_int64());
    label["url"] = repo.api_base + "/repos/" + repo.full() + "/labels/" + name;
    if (label.contains("default")) label["default"] = false;
    out.push_back(std::move(label));
  }
  return out;
}

}  // namespace

json::object pull_payload(const RepoRef &repo, int number, const PullState &state,
                          const Mergeability &mergeability) {
  json::object pull = fixture("pull").as_object();
  const std::string n = std::to_string(number);
  const std::string api = repo.api_base + "/repos/" + repo.full();
  pull["number"] = number;
  pull["id"] = check_run_id(repo.full(), "pull", n);
  pull["node_id"] = FakeGitHub::pull_node_id(repo.full(), number);
  pull["url"] = api + "/pulls/" + n;
  pull["html_url"] = "https://github.com/" + repo.full() + "/pull/" + n;
  pull["diff_url"] = "https://github.com/" + repo.full() + "/pull/" + n + ".diff";
  pull["patch_url"] = "https://github.com/" + repo.full() + "/pull/" + n + ".patch";
  pull["issue_url"] = api + "/issues/" + n;
  pull["commits_url"] = api + "/pulls/" + n + "/commits";
  pull["review_comments_url"] = api + "/pulls/" + n + "/comments";
  pull["statuses_url"] = api + "/statuses/" + state.head_sha;
  pull["title"] = state.title;
  pull["state"] = state.state;
  pull["merged"] = state.merged;
  pull["draft"] = state.draft;
  pull["created_at"] = state.created_at;
  pull["updated_at"] = state.updated_at;
  pull["closed_at"] = string_or_null(state.closed_at);
  pull["merged_at"] = string_or_null(state.merged_at);
  if (state.merged) {
    pull["merge_commit_sha"] = state.merge_commit_sha;
  } else {
    pull["merged_by"] = nullptr;
  }
  pull["mergeable"] = mergeability.known ? json::value(mergeability.mergeable) : nullptr;
  pull["rebaseable"] = mergeability.known ? json::value(mergeability.mergeable) : nullptr;
  pull["mergeable_state"] = mergeability.known ? mergeability.state : "unknown";
  pull["user"] = user_payload(pull["user"].as_object(), state.author, repo.api_base);
  pull["labels"] = labels_payload(pull["labels"], repo, state.labels);
  pull["comments"] = 0;
  pull["review_comments"] = state.comments.size();
  json::object &head = pull["head"].as_object();
  head["sha"] = state.head_sha;
  head["ref"] = state.head_ref;
  head["label"] = repo.owner + ":" + state.head_ref;
  if (head["repo"].is_object()) {
    json::object &head_repo = head["repo"].as_object();
    head_repo["full_name"] = repo.full();
    head_repo["name"] = repo.name;
  }
  json::object &base = pull["base"].as_object();
  base["ref"] = state.base_ref;
  base["label"] = repo.owner + ":" + state.base_ref;
  if (base["repo"].is_object()) {
    json::object &base_repo = base["repo"].as_object();
    base_repo["full_name"] = repo.full();
    base_repo["name"] = repo.name;
  }
  return pull;
}

json::object search_item_payload(const RepoRef &repo, int number, const PullState &state) {
  json::object item = example_element("search_issues", "items");
  const std::string n = std::to_string(number);
  const std::string api = repo.api_base + "/repos/" + repo.full();
  const std::string html = "https://github.com/" + repo.full() + "/pull/" + n;
  item["url"] = api + "/issues/" + n;
  item["repository_url"] = api;
  item["labels_url"] = api + "/issues/" + n + "/labels{/name}";
  item["comments_url"] = api + "/issues/" + n + "/comments";
  item["events_url"] = api + "/issues/" + n + "/events";
  item["html_url"] = html;
  item["id"] = check_run_id(repo.full(), "pull", n);
  item["node_id"] = FakeGitHub::pull_node_id(repo.full(), number);
  item["number"] = number;
  item["title"] = state.title;
  item["type"] = nullptr;
  item["user"] = user_payload(item["user"].as_object(), state.author, repo.api_base);
  item["labels"] = labels_payload(item["labels"], repo, state.labels);
  item["state"] = state.state;
  item["state_reason"] = nullptr;
  item["draft"] = state.draft;
  item["locked"] = false;
  item["assignee"] = nullptr;
  item["milestone"] = nullptr;
  item["comments"] = 0;
  item["created_at"] = state.created_at;
  item["updated_at"] = state.updated_at;
  item["closed_at"] = string_or_null(state.closed_at);
  item["body"] = "";
  item["score"] = 1.0;
  item["pull_request"] = {{"url", api + "/pulls/" + n},
                          {"html_url", html},
                          {"diff_url", html + ".diff"},
                          {"patch_url", html + ".patch"},
                          {"merged_at", string_or_null(state.merged_at)}};
  return item;
}

json::object status_payload(const RepoRef &repo, const std::string &sha,
                            const StatusContext &status, std::size_t index) {
  json::object item = fixture("status").as_object();
  item["id"] = check_run_id(repo.full(), sha, "status:" + status.context);
  item["node_id"] = "SC_" + std::to_string(item["id"].as_int64());
  item["url"] = repo.api_base + "/repos/" + repo.full() + "/statuses/" + sha;
  item["state"] = status.state;
  item["context"] = status.context;
  item["target_url"] = string_or_null(status.target_url);
  item["description"] =
      status.description.empty() ? status.context + " is " + status.state : status.description;
  item["created_at"] = timestamp(static_cast<int>(index));
  item["updated_at"] = timestamp(static_cast<int>(index));
  return item;
}

int64_t review_id(int number, std::size_t index) {
  return int64_t{number} * 100000 + static_cast<int64_t>(index) + 1;
}

json::object review_comment_payload(const RepoRef &repo, int number, const PullState &state,
                                    std::size_t index) {
  json::object item = example_element("review_comments", "");
  const ReviewComment &c = state.comments.at(index);
  const std::string n = std::to_string(number);
  const int64_t id = int64_t{number} * 1000000 + static_cast<int64_t>(index) + 1;
  const std::string ids = std::to_string(id);
  const std::string self = repo.api_base + "/repos/" + repo.full() + "/pulls/comments/" + ids;
  const std::string html =
      "https://github.com/" + repo.full() + "/pull/" + n + "#discussion_r" + ids;
  const std::string pull_url = repo.api_base + "/repos/" + repo.full() + "/pulls/" + n;
  item["id"] = id;
  item["node_id"] = "PRRC_" + ids;
  item["url"] = self;
  item["html_url"] = html;
  item["pull_request_url"] = pull_url;
  item["_links"] = {{"self", {{"href", self}}},
                    {"html", {{"href", html}}},
                    {"pull_request", {{"href", pull_url}}}};
  item["pull_request_review_id"] =
      c.review_index >= 0 && static_cast<std::size_t>(c.review_index) < state.reviews.size()
          ? json::value(review_id(number, static_cast<std::size_t>(c.review_index)))
          : json::value(nullptr);
  item["path"] = c.path;
  item["line"] = c.line;
  item["original_line"] = c.line;
  item["start_line"] = nullptr;
  item["original_start_line"] = nullptr;
  item["start_side"] = nullptr;
  item["side"] = "RIGHT";
  item["in_reply_to_id"] = nullptr;
  item["body"] = c.body;
  item["commit_id"] = state.head_sha;
  item["original_commit_id"] = state.head_sha;
  item["created_at"] = timestamp(static_cast<int>(index));
  item["updated_at"] = timestamp(static_cast<int>(index));
  item["user"] = user_payload(item["user"].as_object(), c.user, repo.api_base);
  return item;
}

int64_t check_run_id(const std::string &repo, const std::string &sha, const std::string &name) {
  const uint64_t h = fnv1a(to_lower(repo) + "\n" + to_lower(sha) + "\n" + name);
  return static_cast<int64_t>(h & 0x3fffffffULL) + 1;
}

json::object check_run_payload(const RepoRef &repo, const std::string &sha, const CheckRun &check,
                               int pr_number) {
  json::object run = example_element("check_runs", "check_runs");
  const int64_t id = check_run_id(repo.full(), sha, check.name);
  const std::string ids = std::to_string(id);
  run["id"] = id;
  run["name"] = check.name;
  run["head_sha"] = sha;
  run["status"] = check.status;
  run["conclusion"] = string_or_null(check.conclusion);
  run["completed_at"] =
      check.status == "completed" ? json::value("2024-01-01T00:05:00Z") : json::value(nullptr);
  run["started_at"] = "2024-01-01T00:00:00Z";
  run["external_id"] = check.name;
  run["details_url"] = check.details_url.empty()
                           ? "https://ci.example.com/" + repo.full() + "/" + check.name
                           : check.details_url;
  run["html_url"] = "https://github.com/" + repo.full() + "/runs/" + ids;
  run["url"] = repo.api_base + "/repos/" + repo.full() + "/check-runs/" + ids;
  run["node_id"] = "CR_" + ids;
  json::array pulls;
  if (pr_number > 0 && run["pull_requests"].is_array() &&
      !run["pull_requests"].as_array().empty()) {
    json::object pr = run["pull_requests"].as_array().at(0).as_object();
    pr["number"] = pr_number;
    pr["id"] = check_run_id(repo.full(), "pull", std::to_string(pr_number));
    pr["url"] = repo.api_base + "/repos/" + repo.full() + "/pulls/" + std::to_string(pr_number);
    for (const char *side : {"head", "base"}) {
      if (!pr[side].is_object()) continue;
      json::object &ref = pr[side].as_object();
      if (std::string_view(side) == "head") ref["sha"] = sha;
      if (ref["repo"].is_object()) {
        ref["repo"].as_object()["name"] = repo.name;
        ref["repo"].as_object()["url"] = repo.api_base + "/repos/" + repo.full();
      }
    }
    pulls.push_back(std::move(pr));
  }
  run["pull_requests"] = std::move(pulls);
  if (run["output"].is_object()) {
    json::object &output = run["output"].as_object();
    output["title"] = string_or_null(check.title);
    output["summary"] = string_or_null(check.summary);
    output["annotations_url"] =
        repo.api_base + "/repos/" + repo.full() + "/check-runs/" + ids + "/annotations";
  }
  return run;
}

std::string combined_state(const std::vector<StatusContext> &statuses) {
  if (statuses.empty()) return "pending";
  bool pending = false;
  for (const auto &s : statuses) {
    if (s.state == "failure" || s.state == "error") return "failure";
    if (s.state != "success") pending = true;
  }
  return pending ? "pending" : "success";
}

json::object combined_status_payload(const RepoRef &repo, const std::string &sha,
                                     const std::vector<StatusContext> &statuses) {
  json::object combined = fixture("combined_status").as_object();
  const json::object example = example_element("combined_status", "statuses");
  json::array items;
  std::size_t index = 0;
  for (const auto &s : statuses) {
    json::object item = example;
    item["id"] = check_run_id(repo.full(), sha, "status:" + s.context);
    item["node_id"] = "SC_" + std::to_string(index);
    item["context"] = s.context;
    item["state"] = s.state;
    item["target_url"] = string_or_null(s.target_url);
    item["description"] = s.description.empty() ? s.context + " is " + s.state : s.description;
    item["created_at"] = timestamp(static_cast<int>(index));
    item["updated_at"] = timestamp(static_cast<int>(index));
    item["url"] = repo.api_base + "/repos/" + repo.full() + "/statuses/" + sha;
    items.push_back(std::move(item));
    ++index;
  }
  combined["state"] = combined_state(statuses);
  combined["statuses"] = std::move(items);
  combined["sha"] = sha;
  combined["total_count"] = statuses.size();
  combined["commit_url"] = repo.api_base + "/repos/" + repo.full() + "/commits/" + sha;
  combined["url"] = repo.api_base + "/repos/" + repo.full() + "/commits/" + sha + "/status";
  if (combined["repository"].is_object()) {
    json::object &r = combined["repository"].as_object();
    r["full_name"] = repo.full();
    r["name"] = repo.name;
  }
  return combined;
}

json::object review_payload(const RepoRef &repo, int number, const std::string &sha,
                            const Review &review, std::size_t index) {
  json::object item = example_element("reviews", "");
  const std::string n = std::to_string(number);
  const int64_t id = review_id(number, index);
  const std::string html = "https://github.com/" + repo.full() + "/pull/" + n +
                           "#pullrequestreview-" + std::to_string(id);
  const std::string pull_url = repo.api_base + "/repos/" + repo.full() + "/pulls/" + n;
  item["id"] = id;
  item["node_id"] = "PRR_" + std::to_string(id);
  item["state"] = review.state;
  item["body"] = review.body;
  item["commit_id"] = sha;
  item["submitted_at"] = timestamp(static_cast<int>(index));
  item["html_url"] = html;
  item["pull_request_url"] = pull_url;
  item["_links"] = {{"html", {{"href", html}}}, {"pull_request", {{"href", pull_url}}}};
  json::object &user = item["user"].as_object();
  user["login"] = review.user;
  user["id"] = static_cast<int64_t>(fnv1a(review.user) & 0xffffffULL) + 1;
  user["html_url"] = "https://github.com/" + review.user;
  user["url"] = repo.api_base + "/users/" + review.user;
  return item;
}

}  // namespace gkfake::detail
