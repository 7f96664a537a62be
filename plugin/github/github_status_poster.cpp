#include "github/github_status_poster.hpp"

#include <chrono>

#include "core/secret.hpp"

namespace gk::github {

namespace json = boost::json;

GitHubStatusPoster::GitHubStatusPoster(Settings settings)
    : settings_(std::move(settings)),
      client_(net::ClientOptions{"", settings_.connect_timeout_ms, settings_.max_connections,
                                 1 << 20}) {}

std::vector<bool> GitHubStatusPoster::post(const std::vector<CommitStatus> &statuses,
                                           int64_t budget_ms) {
  std::lock_guard lock(mutex_);
  const std::string token = read_token(settings_.token_env);
  std::vector<net::HttpRequest> requests;
  for (const CommitStatus &s : statuses) {
    json::object body{
        {"state", s.state}, {"description", s.description}, {"context", settings_.status_context}};
    if (!s.target_url.empty()) body["target_url"] = s.target_url;
    net::HttpRequest r;
    r.method = "POST";
    r.url = settings_.api_url + "/repos/" + s.repo + "/statuses/" + s.sha;
    if (!token.empty()) r.headers.emplace_back("Authorization", "Bearer " + token);
    r.headers.emplace_back("Accept", "application/vnd.github+json");
    r.headers.emplace_back("X-GitHub-Api-Version", "2022-11-28");
    r.body = json::serialize(body);
    r.timeout_ms = settings_.timeout_ms;
    requests.push_back(std::move(r));
  }
  auto responses = client_.perform(
      requests, std::chrono::steady_clock::now() + std::chrono::milliseconds(budget_ms));
  std::vector<bool> out;
  for (const auto &r : responses) out.push_back(r.status == 201 || r.status == 200);
  return out;
}

}  // namespace gk::github
