// RAII for one libcurl easy handle (and libcurl's process-wide initialisation).
#pragma once

#include <curl/curl.h>

namespace gk::net {

// curl_global_init once per process, thread-safe; called by every handle's constructor.
void ensure_curl_initialised();

class CurlHandle {
 public:
  CurlHandle();  // throws std::bad_alloc when libcurl cannot make a handle
  ~CurlHandle();
  CurlHandle(const CurlHandle &) = delete;
  CurlHandle &operator=(const CurlHandle &) = delete;
  CurlHandle(CurlHandle &&other) noexcept;
  CurlHandle &operator=(CurlHandle &&other) noexcept;

  CURL *get() const { return handle_; }

 private:
  CURL *handle_ = nullptr;
};

// RAII for a curl_slist of headers.
class CurlHeaders {
 public:
  CurlHeaders() = default;
  ~CurlHeaders();
  CurlHeaders(const CurlHeaders &) = delete;
  CurlHeaders &operator=(const CurlHeaders &) = delete;

  void append(const char *line);  // throws std::bad_alloc
  curl_slist *get() const { return list_; }

 private:
  curl_slist *list_ = nullptr;
};

}  // namespace gk::net
