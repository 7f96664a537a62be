// One HTTP request as the GitHub and review-bot clients describe it, before libcurl sees it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gk::net {

struct HttpRequest {
  std::string method = "GET";  // GET, POST, PUT or DELETE
  std::string url;
  // Extra headers, "Name: value" pairs kept apart so a secret header can be recognised.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;             // JSON, sent with any method but GET
  int64_t timeout_ms = 10'000;  // whole transfer; the client also caps it by the poll budget
};

}  // namespace gk::net
