#include "github/settings.hpp"

#include "core/error.hpp"

namespace gk::github {

namespace json = boost::json;

namespace {

const json::object *section(const json::object &o, const char *key, const std::string &where) {
  const auto *v = o.if_contains(key);
  if (!v || v->is_null()) return nullptr;
  if (!v->is_object()) fail(Errc::invalid, "config: \"" + where + key + "\" must be an object");
  return &v->as_object();
}

void read_string(const json::object &o, const char *key, const std::string &where,
                 std::string &out) {
  const auto *v = o.if_contains(key);
  if (!v || v->is_null()) return;
  if (!v->is_string() || v->as_string().empty())
    fail(Errc::invalid, "config: \"" + where + key + "\" must be a non-empty string");
  out = std::string(v->as_string());
}

// A positive number of seconds (integer or fraction) into milliseconds.
void read_seconds(const json::object &o, const char *key, const std::string &where,
                  int64_t &out_ms) {
  const auto *v = o.if_contains(key);
  if (!v || v->is_null()) return;
  double s = 0;
  if (v->is_int64())
    s = static_cast<double>(v->as_int64());
  else if (v->is_uint64())
    s = static_cast<double>(v->as_uint64());
  else if (v->is_double())
    s = v->as_double();
  else
    fail(Errc::invalid, "config: \"" + where + key + "\" must be a number of seconds");
  if (!(s > 0) || s > 86'400.0 * 365)
    fail(Errc::invalid,
         "config: \"" + where + key +
             "\" is out of range (more than 0 and at most 31536000 seconds), found " +
             json::serialize(*v));
  out_ms = static_cast<int64_t>(s * 1000.0);
  if (out_ms < 1) out_ms = 1;
}

std::string trim_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

Settings read_settings(const Config &config) {
  Settings s;
  s.dry_run = config.dry_run;
  if (const auto *gh = section(config.raw, "github", "")) {
    const std::string w = "github.";
    read_string(*gh, "api_url", w, s.api_url);
    read_string(*gh, "graphql_url", w, s.graphql_url);
    read_string(*gh, "token_env", w, s.token_env);
    read_string(*gh, "status_context", w, s.status_context);
    if (const auto *p = section(*gh, "poll_s", w)) {
      read_seconds(*p, "gh_ci", w + "poll_s.", s.poll_ci_ms);
      read_seconds(*p, "gh_review", w + "poll_s.", s.poll_review_ms);
    }
    read_seconds(*gh, "max_interval_s", w, s.max_interval_ms);
    read_seconds(*gh, "timeout_s", w, s.timeout_ms);
    read_seconds(*gh, "connect_timeout_s", w, s.connect_timeout_ms);
    read_seconds(*gh, "backoff_s", w, s.backoff_ms);
    read_seconds(*gh, "max_backoff_s", w, s.max_backoff_ms);
    read_seconds(*gh, "graphql_retry_s", w, s.graphql_retry_ms);
    if (const auto *v = gh->if_contains("max_connections"); v && !v->is_null()) {
      if (!v->is_int64() || v->as_int64() < 1 || v->as_int64() > 256)
        fail(Errc::invalid, "config: \"github.max_connections\" must be an integer 1..256");
      s.max_connections = static_cast<long>(v->as_int64());
    }
    if (const auto *v = gh->if_contains("graphql"); v && !v->is_null()) {
      if (!v->is_bool()) fail(Errc::invalid, "config: \"github.graphql\" must be true or false");
      s.use_graphql = v->as_bool();
    }
  }
  s.api_url = trim_slash(s.api_url);
  s.graphql_url = s.graphql_url.empty() ? graphql_url_for(s.api_url) : trim_slash(s.graphql_url);
  return s;
}

std::string graphql_url_for(const std::string &api_url) {
  std::string base = trim_slash(api_url);
  if (base.ends_with("/api/v3")) return base.substr(0, base.size() - 2) + "graphql";
  return base + "/graphql";
}

}  // namespace gk::github
