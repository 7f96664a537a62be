// RAII for a libcurl multi handle: many transfers driven together on the calling thread.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <utility>
#include <vector>

namespace gk::net {

class CurlMulti {
 public:
  // max_host_connections: parallel connections to one host (0 = libcurl's default: unlimited).
  explicit CurlMulti(long max_host_connections = 0);
  ~CurlMulti();
  CurlMulti(const CurlMulti &) = delete;
  CurlMulti &operator=(const CurlMulti &) = delete;

  void add(CURL *easy);     // throws std::runtime_error when libcurl refuses
  void remove(CURL *easy);  // safe for a handle that is not (or no longer) added

  // Drives transfers until every added handle finished or `deadline` passed. Returns the
  // finished handles with their result codes; unfinished ones stay added.
  std::vector<std::pair<CURL *, CURLcode>> run_until(
      std::chrono::steady_clock::time_point deadline);

 private:
  CURLM *multi_ = nullptr;
  int running_ = 0;
};

}  // namespace gk::net
