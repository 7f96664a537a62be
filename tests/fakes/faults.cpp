#include "faults.hpp"

namespace gkfake::detail {

namespace {

HttpResponse json_error(unsigned status, std::string_view message, std::string_view doc) {
  HttpResponse r;
  r.status = status;
  r.body = github_error(message, doc);
  r.set("Content-Type", "application/json; charset=utf-8");
  return r;
}

}  // namespace

void add_rate_headers(HttpResponse &response, const RateLimit &rate) {
  response.set("x-ratelimit-limit", std::to_string(rate.limit));
  response.set("x-ratelimit-remaining", std::to_string(rate.remaining));
  response.set("x-ratelimit-reset", std::to_string(rate.reset_epoch_s));
  response.set("x-ratelimit-used", std::to_string(rate.limit - rate.remaining));
  response.set("x-ratelimit-resource", rate.resource);
}

bool fault_has_rate_headers(Fault fault) {
  return fault != Fault::unauthorized && fault != Fault::forbidden;
}

HttpResponse rate_limited_response() {
  return json_error(403,
                    "API rate limit exceeded for user ID 1. If you reach out to GitHub Support "
                    "for help, please include the request ID 0000:0000:0000000:0000000:00000000.",
                    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api");
}

HttpResponse fault_response(Fault fault, HttpResponse normal) {
  switch (fault) {
    case Fault::none:
      return normal;
    case Fault::server_error: {
      HttpResponse r;
      r.status = 502;
      r.body =
          "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>"
          "<p>Server Error. Sorry, this page is taking too long to load.</p></body></html>\n";
      r.set("Content-Type", "text/html");
      return r;
    }
    case Fault::hang: {
      HttpResponse r;
      r.delivery = Delivery::hang;
      return r;
    }
    case Fault::rate_limited:
      return rate_limited_response();
    case Fault::too_many: {
      HttpResponse r = json_error(
          429,
          "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
          "again. If you reach out to GitHub Support for help, please include the request ID "
          "0000:0000:0000000:0000000:00000000.",
          "https://docs.github.com/free-pro-team@latest/rest/overview/"
          "rate-limits-for-the-rest-api#about-secondary-rate-limits");
      r.set("Retry-After", "1");
      return r;
    }
    case Fault::bad_json: {
      HttpResponse r;
      r.body =
          "<!DOCTYPE html><html><head><title>Unicorn! &middot; GitHub</title></head>"
          "<body><p>No server is currently available to service your request.</p></body></html>";
      r.set("Content-Type", "application/json; charset=utf-8");
      return r;
    }
    case Fault::truncated_json: {
      HttpResponse r;
      r.body = std::move(normal.body);
      if (r.body.size() < 2) r.body = "{\"message\":\"truncated\"}";
      r.set("Content-Type", "application/json; charset=utf-8");
      r.delivery = Delivery::truncate;
      return r;
    }
    case Fault::unauthorized:
      return json_error(401, "Bad credentials", "https://docs.github.com/rest");
    case Fault::forbidden:
      return json_error(403, "Resource not accessible by integration",
                        "https://docs.github.com/rest");
    case Fault::not_found:
      return json_error(404, "Not Found", "https://docs.github.com/rest");
  }
  return normal;
}

}  // namespace gkfake::detail
