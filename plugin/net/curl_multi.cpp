#include "net/curl_multi.hpp"

#include <algorithm>
#include <new>
#include <stdexcept>
#include <string>

#include "net/curl_handle.hpp"

namespace gk::net {

CurlMulti::CurlMulti(long max_host_connections) {
  ensure_curl_initialised();
  multi_ = curl_multi_init();
  if (!multi_) throw std::bad_alloc();
  curl_multi_setopt(multi_, CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_MULTIPLEX));
  if (max_host_connections > 0)
    curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, max_host_connections);
}

CurlMulti::~CurlMulti() {
  if (multi_) curl_multi_cleanup(multi_);
}

void CurlMulti::add(CURL *easy) {
  CURLMcode rc = curl_multi_add_handle(multi_, easy);
  if (rc != CURLM_OK)
    throw std::runtime_error(std::string("libcurl refused a transfer: ") + curl_multi_strerror(rc));
}

void CurlMulti::remove(CURL *easy) {
  curl_multi_remove_handle(multi_, easy);
}

std::vector<std::pair<CURL *, CURLcode>> CurlMulti::run_until(
    std::chrono::steady_clock::time_point deadline) {
  std::vector<std::pair<CURL *, CURLcode>> done;
  for (;;) {
    CURLMcode rc = curl_multi_perform(multi_, &running_);
    if (rc != CURLM_OK)
      throw std::runtime_error(std::string("libcurl multi failed: ") + curl_multi_strerror(rc));
    int queued = 0;
    while (CURLMsg *msg = curl_multi_info_read(multi_, &queued))
      if (msg->msg == CURLMSG_DONE) done.emplace_back(msg->easy_handle, msg->data.result);
    if (running_ == 0) break;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    int wait_ms = static_cast<int>(std::clamp<long long>(left, 1, 100));
    rc = curl_multi_poll(multi_, nullptr, 0, wait_ms, nullptr);
    if (rc != CURLM_OK)
      throw std::runtime_error(std::string("libcurl multi failed: ") + curl_multi_strerror(rc));
  }
  return done;
}

}  // namespace gk::net
