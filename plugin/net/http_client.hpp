// Runs a batch of HTTP requests concurrently on one libcurl multi handle, on the calling thread,
// within a deadline. TLS peers and host names are verified; the standard proxy variables
// (http_proxy, https_proxy, no_proxy, ...) are honoured, as libcurl does by default, except that
// loopback addresses are never proxied (a review bot or a test server on 127.0.0.1). The multi
// handle lives as long as the client, so connections are reused from one poll to the next.
// Redirects (renamed repositories answer 301) are followed up to 3 times, and only to https: a
// refused one is reported as such, naming where it came from and where it pointed.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "net/curl_multi.hpp"
#include "net/http_request.hpp"
#include "net/http_response.hpp"

namespace gk::net {

struct ClientOptions {
  std::string user_agent;  // default: "goalkeeper/<version>"
  int64_t connect_timeout_ms = 5'000;
  long max_host_connections = 8;
  size_t max_body_bytes = 64 << 20;  // a larger answer is cut off and reported as an error
};

// "goalkeeper/<version>".
std::string default_user_agent();

class HttpClient {
 public:
  explicit HttpClient(ClientOptions options = {});

  // One response per request, in order. A request still running at `deadline` is abandoned and
  // answered with a timeout error. Never throws for network trouble (only for resource
  // exhaustion).
  std::vector<HttpResponse> perform(const std::vector<HttpRequest> &requests,
                                    std::chrono::steady_clock::time_point deadline);

 private:
  ClientOptions options_;
  std::string no_proxy_;  // no_proxy's hosts and the loopback names
  CurlMulti multi_;
};

}  // namespace gk::net
