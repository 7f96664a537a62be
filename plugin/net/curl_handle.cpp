#include "net/curl_handle.hpp"

#include <mutex>
#include <new>
#include <utility>

namespace gk::net {

void ensure_curl_initialised() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::bad_alloc();
  });
}

CurlHandle::CurlHandle() {
  ensure_curl_initialised();
  handle_ = curl_easy_init();
  if (!handle_) throw std::bad_alloc();
}

CurlHandle::~CurlHandle() {
  if (handle_) curl_easy_cleanup(handle_);
}

CurlHandle::CurlHandle(CurlHandle &&other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)) {}

CurlHandle &CurlHandle::operator=(CurlHandle &&other) noexcept {
  if (this != &other) {
    if (handle_) curl_easy_cleanup(handle_);
    handle_ = std::exchange(other.handle_, nullptr);
  }
  return *this;
}

CurlHeaders::~CurlHeaders() {
  if (list_) curl_slist_free_all(list_);
}

void CurlHeaders::append(const char *line) {
  curl_slist *next = curl_slist_append(list_, line);
  if (!next) throw std::bad_alloc();
  list_ = next;
}

}  // namespace gk::net
