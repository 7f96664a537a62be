// The "github" section of the plugin configuration, with defaults (goalkeeper.h, gk_open).
#pragma once

#include <cstdint>
#include <string>

#include "core/config.hpp"

namespace gk::github {

struct Settings {
  std::string api_url = "https://api.github.com";  // GHES: https://HOST/api/v3
  std::string graphql_url;                         // default: derived from api_url
  std::string token_env = "GITHUB_TOKEN";
  int64_t poll_ci_ms = 30'000;
  int64_t poll_review_ms = 60'000;
  int64_t max_interval_ms = 300'000;  // quiet gates stretch up to this (or the base interval)
  int64_t timeout_ms = 10'000;        // one request, also capped by the poll budget
  int64_t connect_timeout_ms = 5'000;
  int64_t backoff_ms = 5'000;  // first retry after a fault; doubles up to max_backoff_ms
  int64_t max_backoff_ms = 300'000;
  int64_t graphql_retry_ms = 600'000;  // after GraphQL proved unavailable, REST this long
  long max_connections = 8;            // parallel connections per host
  bool use_graphql = true;
  bool dry_run = false;  // the plugin's dry_run: reads only, mutations are described instead
  std::string status_context = "goalkeeper";  // github.status_context: our commit statuses
};

// Reads config.raw["github"]. Unknown keys are ignored; values of a wrong type throw
// gk::Error(invalid) naming the key.
Settings read_settings(const Config &config);

// "https://api.github.com" -> "https://api.github.com/graphql";
// "https://HOST/api/v3" -> "https://HOST/api/graphql".
std::string graphql_url_for(const std::string &api_url);

}  // namespace gk::github
