// The fake's own view of one HTTP exchange, independent of Beast: the router, the GraphQL
// answerer and the fault builders work on these plain structs; the connection code (server.cpp)
// turns them into bytes on the wire.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gkfake::detail {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path with query, as sent: "/api/v3/repos/o/r/pulls/1?x=y"
  std::string body;
  std::string if_none_match;
  std::string authorization;
};

// How the answer is put on the wire.
enum class Delivery {
  normal,    // the whole response; the connection stays open when the client keeps it alive
  hang,      // nothing at all; the socket stays open until the client closes it or the fake stops
  truncate,  // status line and headers with the Content-Length of the whole body, then only the
             // first half of the body, then the connection is closed
};

struct HttpResponse {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  Delivery delivery = Delivery::normal;

  void set(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
  std::string header(std::string_view name) const;  // "" when absent (case-insensitive)
};

// The path of a target without its query string, and the query string alone.
std::string_view target_path(std::string_view target);
std::string_view target_query(std::string_view target);

std::string to_lower(std::string_view s);
uint64_t fnv1a(std::string_view s);

// GitHub's error body: {"message": ..., "documentation_url": ...}.
std::string github_error(std::string_view message,
                         std::string_view documentation_url = "https://docs.github.com/rest");

}  // namespace gkfake::detail
