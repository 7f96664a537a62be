// Routing requests by method and path pattern. A pattern is a path whose segments are literals or
// "{name}" placeholders; a placeholder matches one non-empty segment and receives it
// percent-decoded, so "/api/tasks/{task}/approve" matches "/api/tasks/land%2Fci/approve" with
// task = "land/ci". Routes are tried in the order they were added. No route for the path: 404;
// a route for the path but not the method: 405 with an Allow header; a segment that is not valid
// percent-encoding, or that decodes to a control character (%00 to %1F, %7F): 400, naming the
// segment as it was sent. Every such answer is JSON {"error": "..."}.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server.hpp"

namespace gk::http {

struct RouteMatch {
  std::map<std::string, std::string> params;
  const std::string &param(const std::string &name) const;  // "" when absent
};

class Router {
 public:
  using Route = std::function<Response(const Request &, const RouteMatch &)>;

  void add(const std::string &method, const std::string &pattern, Route route);
  Response operator()(const Request &request) const;

 private:
  struct Entry {
    std::string method;
    std::vector<std::string> segments;  // "{name}" or a literal
    Route route;
  };
  std::vector<Entry> routes_;
};

// "/a/b%2Fc/" -> {"a", "b%2Fc", ""}: the path split at '/', the leading one dropped.
std::vector<std::string> split_path(const std::string &path);
// Percent-decoding ('+' stays '+'); nullopt when a '%' is not followed by two hex digits.
std::optional<std::string> percent_decode(const std::string &text);
// The first control character of decoded text (below 0x20, or 0x7F) as "%XX", nullopt when there
// is none. No id contains one, and a NUL would cut short every C string the text reaches (the
// plugin's arguments and its error messages), so decoded pieces carrying one are refused.
std::optional<std::string> control_character(std::string_view text);
// RFC 3986 percent-encoding of everything but unreserved characters (for one path segment).
std::string percent_encode(const std::string &text);
// The value of one query parameter (decoded), nullopt when absent.
std::optional<std::string> query_param(const std::string &query, const std::string &name);

}  // namespace gk::http
