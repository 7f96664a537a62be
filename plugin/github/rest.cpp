#include "github/rest.hpp"

#include <algorithm>
#include <cctype>

namespace gk::github::rest {

namespace json = boost::json;

namespace {

const json::object &object(const json::value &v, const char *what) {
  if (!v.is_object()) throw MalformedAnswer(std::string(what) + " is not a JSON object");
  return v.as_object();
}

std::string str(const json::object &o, const char *key) {
  const auto *v = o.if_contains(key);
  if (!v || v->is_null()) return {};
  if (!v->is_string()) throw MalformedAnswer(std::string("\"") + key + "\" is not a string");
  return std::string(v->as_string());
}

int64_t integer(const json::object &o, const char *key) {
  const auto *v = o.if_contains(key);
  if (!v || v->is_null()) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  throw MalformedAnswer(std::string("\"") + key + "\" is not an integer");
}

const json::array &array(const json::object &o, const char *key) {
  const auto *v = o.if_contains(key);
  if (!v || !v->is_array()) throw MalformedAnswer(std::string("\"") + key + "\" is not a list");
  return v->as_array();
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::string pull_url(const std::string &api, const std::string &repo, int64_t pr) {
  return api + "/repos/" + repo + "/pulls/" + std::to_string(pr);
}

std::string check_runs_url(const std::string &api, const std::string &repo, const std::string &sha,
                           int page) {
  return api + "/repos/" + repo + "/commits/" + sha +
         "/check-runs?per_page=" + std::to_string(kPerPage) + "&page=" + std::to_string(page);
}

std::string status_url(const std::string &api, const std::string &repo, const std::string &sha) {
  return api + "/repos/" + repo + "/commits/" + sha +
         "/status?per_page=" + std::to_string(kPerPage);
}

std::string reviews_url(const std::string &api, const std::string &repo, int64_t pr, int page) {
  return api + "/repos/" + repo + "/pulls/" + std::to_string(pr) +
         "/reviews?per_page=" + std::to_string(kPerPage) + "&page=" + std::to_string(page);
}

std::string review_comments_url(const std::string &api, const std::string &repo, int64_t pr,
                                int page) {
  return api + "/repos/" + repo + "/pulls/" + std::to_string(pr) +
         "/comments?per_page=" + std::to_string(kPerPage) + "&page=" + std::to_string(page);
}

std::string parse_pull_head(const json::value &body) {
  const auto &o = object(body, "the pull request");
  const auto *head = o.if_contains("head");
  if (!head) throw MalformedAnswer("the pull request has no \"head\"");
  std::string sha = str(object(*head, "\"head\""), "sha");
  if (sha.empty()) throw MalformedAnswer("the pull request's head has no \"sha\"");
  return sha;
}

CheckRunsPage parse_check_runs(const json::value &body) {
  const auto &o = object(body, "the check runs");
  CheckRunsPage page;
  page.total_count = integer(o, "total_count");
  for (const auto &v : array(o, "check_runs")) {
    const auto &r = object(v, "a check run");
    CheckRunInfo info;
    info.name = str(r, "name");
    info.status = lower(str(r, "status"));
    info.conclusion = lower(str(r, "conclusion"));
    info.url = str(r, "details_url");
    if (info.url.empty()) info.url = str(r, "html_url");
    info.id = integer(r, "id");
    info.started_at = str(r, "started_at");
    if (const auto *output = r.if_contains("output"); output && output->is_object()) {
      info.title = str(output->as_object(), "title");
      info.summary = str(output->as_object(), "summary");
    }
    page.runs.push_back(std::move(info));
  }
  return page;
}

CombinedStatus parse_status(const json::value &body) {
  const auto &o = object(body, "the combined status");
  CombinedStatus s;
  s.state = lower(str(o, "state"));
  s.total_count = integer(o, "total_count");
  for (const auto &v : array(o, "statuses")) {
    const auto &x = object(v, "a status");
    s.statuses.push_back(
        {str(x, "context"), lower(str(x, "state")), str(x, "target_url"), str(x, "description")});
  }
  return s;
}

std::vector<ReviewInfo> parse_reviews(const json::value &body) {
  if (!body.is_array()) throw MalformedAnswer("the reviews are not a JSON list");
  std::vector<ReviewInfo> out;
  for (const auto &v : body.as_array()) {
    const auto &r = object(v, "a review");
    ReviewInfo info;
    if (const auto *u = r.if_contains("user"); u && u->is_object())
      info.user = str(u->as_object(), "login");
    info.state = str(r, "state");
    info.body = str(r, "body");
    info.url = str(r, "html_url");
    info.id = integer(r, "id");
    info.submitted_at = str(r, "submitted_at");
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<ReviewCommentInfo> parse_review_comments(const json::value &body) {
  if (!body.is_array()) throw MalformedAnswer("the review comments are not a JSON list");
  std::vector<ReviewCommentInfo> out;
  for (const auto &v : body.as_array()) {
    const auto &c = object(v, "a review comment");
    ReviewCommentInfo info;
    if (const auto *u = c.if_contains("user"); u && u->is_object())
      info.user = str(u->as_object(), "login");
    info.path = str(c, "path");
    info.line = integer(c, "line");
    if (info.line == 0) info.line = integer(c, "original_line");
    info.body = str(c, "body");
    info.review_id = integer(c, "pull_request_review_id");
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace gk::github::rest
