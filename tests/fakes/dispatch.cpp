// One request to one answer: log and count it, apply a scripted fault or the exhausted rate
// limit, route it (REST or GraphQL), answer 304 to a matching If-None-Match, add GitHub's
// rate-limit and cache headers, and record it when it may have changed something.
#include <boost/json.hpp>

#include <algorithm>
#include <exception>

#include "fake_impl.hpp"
#include "faults.hpp"
#include "graphql.hpp"
#include "rest_routes.hpp"
#include "timestamps.hpp"

namespace gkfake {
using detail::HttpRequest;
using detail::HttpResponse;

namespace {

constexpr std::string_view kGraphqlPath = "/api/graphql";
constexpr std::string_view kControlPrefix = "/_fake/";
constexpr std::string_view kSearchPrefix = "/api/v3/search/";

std::string etag_of(std::string_view body) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(detail::fnv1a(body)));
  return "W/\"" + std::string(buf) + std::string(buf) + "\"";
}

// If-None-Match holds `etag` (weak comparison; "*" matches anything).
bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  const auto strip = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    if (s.starts_with("W/")) s.remove_prefix(2);
    return s;
  };
  const std::string_view wanted = strip(etag);
  while (!if_none_match.empty()) {
    const auto comma = if_none_match.find(',');
    const std::string_view one = strip(if_none_match.substr(0, comma));
    if (one == "*" || one == wanted) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

Fault FakeGitHub::Impl::take_fault(std::string_view path) {
  for (auto it = faults.begin(); it != faults.end(); ++it) {
    if (!path.starts_with(it->path_prefix)) continue;
    const Fault f = it->fault;
    if (it->times > 0 && --it->times == 0) faults.erase(it);
    return f;
  }
  return Fault::none;
}

std::optional<std::string> FakeGitHub::Impl::take_redirect(std::string_view path) {
  for (auto it = redirects.begin(); it != redirects.end(); ++it) {
    if (!path.starts_with(it->path_prefix)) continue;
    std::string location = it->location;
    if (it->times > 0 && --it->times == 0) redirects.erase(it);
    return location;
  }
  return std::nullopt;
}

HttpResponse FakeGitHub::Impl::route(const HttpRequest &request, bool graphql) {
  if (!graphql) return detail::route_rest(store, request, origin());
  if (!graphql_enabled || request.method != "POST") {
    HttpResponse r;
    r.status = 404;
    r.body = detail::github_error("Not Found", "https://docs.github.com/graphql");
    r.set("Content-Type", "application/json; charset=utf-8");
    return r;
  }
  return detail::answer_graphql(
      store, request, {rate_limit, std::max(0, graphql_remaining - 1), rate_reset_epoch_s});
}

HttpResponse FakeGitHub::Impl::control(const HttpRequest &request) {
  // Process mode only, not logged, not counted:
  //   GET /_fake/stats      {"requests", "counted_requests", "log"}; DELETE resets them
  //   GET /_fake/mutations  {"mutations": [{"method", "path", "body", "status"}]} in order;
  //                         DELETE clears them
  HttpResponse r;
  const std::string_view path = detail::target_path(request.target);
  if (path == "/_fake/stats") {
    if (request.method == "DELETE") {
      log.clear();
      counted = 0;
    }
    boost::json::array lines;
    for (const auto &e : log) lines.emplace_back(e.line);
    r.body = boost::json::serialize(boost::json::object{
        {"requests", log.size()}, {"counted_requests", counted}, {"log", std::move(lines)}});
  } else if (path == "/_fake/mutations") {
    if (request.method == "DELETE") mutations.clear();
    boost::json::array items;
    for (const auto &m : mutations) {
      items.push_back(
          {{"method", m.method}, {"path", m.path}, {"body", m.body}, {"status", m.status}});
    }
    r.body = boost::json::serialize(boost::json::object{{"mutations", std::move(items)}});
  } else {
    r.status = 404;
    return r;
  }
  r.set("Content-Type", "application/json; charset=utf-8");
  return r;
}

HttpResponse FakeGitHub::Impl::handle(const HttpRequest &request) {
  std::lock_guard lock(mutex);
  try {
    const std::string_view path = detail::target_path(request.target);
    if (path.starts_with(kControlPrefix)) return control(request);
    log.push_back({request.method + " " + request.target, std::string(path)});
    last_authorization = request.authorization;
    const bool graphql = path.starts_with(kGraphqlPath);
    const bool search = !graphql && path.starts_with(kSearchPrefix);
    if (search && detail::now_epoch_s() >= search_reset_epoch_s) {
      search_remaining = search_limit;
      search_reset_epoch_s = detail::now_epoch_s() + 60;
    }
    int &remaining = graphql ? graphql_remaining : search ? search_remaining : core_remaining;
    const int limit = search ? search_limit : rate_limit;
    const int64_t reset = search ? search_reset_epoch_s : rate_reset_epoch_s;
    const char *resource = graphql ? "graphql" : search ? "search" : "core";
    // What a client sent that may change something, whatever it is answered.
    const bool mutation =
        graphql ? request.method == "POST" && request.body.find("mutation") != std::string::npos
                : request.method != "GET" && request.method != "HEAD";
    const auto record = [&](const HttpResponse &answer) {
      if (mutation) {
        const unsigned status = answer.delivery == detail::Delivery::hang ? 0 : answer.status;
        mutations.push_back({request.method, std::string(path), request.body, status});
      }
    };

    const std::optional<std::string> moved = take_redirect(path);
    const Fault fault = moved ? Fault::none : take_fault(path);
    HttpResponse response;
    bool rate_headers = true;
    bool exhausted = fault == Fault::rate_limited;
    if (moved) {
      // GitHub's answer for a renamed repository.
      response.status = 301;
      response.body = boost::json::serialize(boost::json::object{
          {"message", "Moved Permanently"},
          {"url", *moved},
          {"documentation_url",
           "https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api"}});
      response.set("Content-Type", "application/json; charset=utf-8");
      response.set("Location", *moved);
    } else if (fault != Fault::none) {
      HttpResponse normal =
          fault == Fault::truncated_json ? route(request, graphql) : HttpResponse{};
      response = detail::fault_response(fault, std::move(normal));
      rate_headers = detail::fault_has_rate_headers(fault);
    } else if (remaining <= 0) {
      response = detail::rate_limited_response();
      exhausted = true;
    } else {
      response = route(request, graphql);
      if (!graphql && request.method == "GET" && response.status == 200) {
        const std::string etag = etag_of(response.body);
        if (!request.if_none_match.empty() && etag_matches(request.if_none_match, etag)) {
          // Not counted and free, as on GitHub.
          HttpResponse not_modified;
          not_modified.status = 304;
          not_modified.set("ETag", etag);
          not_modified.set("Cache-Control", "private, max-age=60, s-maxage=60");
          detail::add_rate_headers(not_modified, {limit, remaining, reset, resource});
          return not_modified;
        }
        response.set("ETag", etag);
        response.set("Cache-Control", "private, max-age=60, s-maxage=60");
        response.set("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP");
      }
    }
    ++counted;
    remaining = std::max(0, remaining - 1);
    if (rate_headers) {
      detail::add_rate_headers(response, {limit, exhausted ? 0 : remaining, reset, resource});
    }
    response.set("Server", "GitHub.com");
    response.set("X-GitHub-Media-Type", "github.v3; format=json");
    record(response);
    return response;
  } catch (const std::exception &e) {
    HttpResponse r;
    r.status = 500;
    r.body = detail::github_error(std::string("gk fake github: ") + e.what());
    r.set("Content-Type", "application/json; charset=utf-8");
    return r;
  }
}

}  // namespace gkfake
