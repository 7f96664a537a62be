// A few outgoing HTTP calls (libcurl easy), for the review-bot bridge: register a callback,
// revoke it. Proxies from the environment are honoured except for loopback addresses.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace gk::http {

struct ClientResponse {
  int status = 0;     // 0 when no answer came
  std::string body;   // the answer's body
  std::string error;  // the transport error when status is 0
  bool ok() const { return status >= 200 && status < 300; }
};

// method: "GET", "POST", "DELETE", ... headers: "Name: value" lines. Never throws.
ClientResponse call(const std::string &method, const std::string &url,
                    const std::vector<std::string> &headers = {}, const std::string &body = "",
                    long timeout_ms = 5000);

}  // namespace gk::http
